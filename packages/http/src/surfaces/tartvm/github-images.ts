import { ApiError } from '../../platform/errors'

/** One image the real page offers to pull, as its server lists them. */
export interface ImageModel {
  name: string
  url: string
  description: string | null
  tags: string[]
  updated_at: string | null
}

interface GithubPackage {
  name?: string
  description?: string | null
}

interface GithubPackageVersion {
  updated_at?: string
  metadata?: { container?: { tags?: string[] } }
}

/**
 * The cirruslabs macOS images on GitHub's container registry, as the real server lists them:
 * every `macos-*` package of the organisation, its tags from its last ten versions, and a pull
 * URL on `latest` (or the first tag). An answer GitHub refuses is a 502 naming its status.
 */
export async function listCirruslabsImages(apiUrl: string, token: string, signal?: AbortSignal): Promise<ImageModel[]> {
  const get = async <T>(path: string): Promise<T> => {
    const response = await fetch(`${apiUrl.replace(/\/$/, '')}${path}`, {
      headers: { Accept: 'application/vnd.github+json', 'X-GitHub-Api-Version': '2022-11-28', Authorization: `Bearer ${token}` },
      signal,
    }).catch((cause) => {
      throw new ApiError(502, `The GitHub API could not be reached: ${(cause as Error).message}`, { cause })
    })
    if (!response.ok) throw new ApiError(502, `The GitHub API answered ${response.status} for ${path.split('?')[0]}`)
    return (await response.json()) as T
  }

  const packages = await get<GithubPackage[]>('/orgs/cirruslabs/packages?package_type=container&per_page=100')
  const images: ImageModel[] = []
  for (const pkg of packages) {
    const name = pkg.name ?? ''
    if (!name.startsWith('macos-')) continue
    const versions = await get<GithubPackageVersion[]>(`/orgs/cirruslabs/packages/container/${encodeURIComponent(name)}/versions?per_page=10`)
    const tags = versions.flatMap((version) => version.metadata?.container?.tags ?? [])
    const updated =
      versions
        .map((version) => version.updated_at)
        .filter((at): at is string => Boolean(at))
        .sort()
        .at(-1) ?? null
    const tag = tags.includes('latest') ? 'latest' : (tags[0] ?? 'latest')
    images.push({ name, url: `ghcr.io/cirruslabs/${name}:${tag}`, description: pkg.description ?? null, tags, updated_at: updated })
  }
  return images.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
}
