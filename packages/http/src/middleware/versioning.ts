import type { H3Event } from 'h3'
import { ApiError } from '../platform/errors'

/** Versions this server speaks in `Accept: application/vnd.provisioning.v<N>+json` (004, "API Versioning"). */
export const supportedVersions = ['1'] as const
export const currentVersion = '1'

const vendorType = /application\/vnd\.provisioning\.v([^+;,\s]*)\+json/i

/** Accepts requests without a vendor type or asking for v1; any other version is a 406. */
export function checkApiVersion(event: H3Event): void {
  const accept = event.req.headers.get('accept')
  if (!accept) return
  const match = vendorType.exec(accept)
  if (!match) return
  const version = match[1]
  if (!(supportedVersions as readonly string[]).includes(version)) {
    throw new ApiError(406, `API version "v${version}" is not supported; supported: ${supportedVersions.map((v) => `v${v}`).join(', ')}`)
  }
}
