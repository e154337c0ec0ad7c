import { readFile } from 'node:fs/promises'
import type { H3Event } from 'h3'
import { z } from 'zod'
import { ApiError } from '../../../platform/errors'
import { defineRoute, type RouteDefinition } from '../../../platform/types'
import type { ServiceFiles } from './service-files'
import { maxFileBytes, pathSegment } from './services'

const tags = ['services']

const serviceParams = z.object({ name: pathSegment })
const configParams = z.object({ name: pathSegment, filename: pathSegment })
const folderParams = z.object({ name: pathSegment, subdir: pathSegment })
const fileParams = folderParams.extend({ filename: pathSegment })
const contentBody = z.object({ content: z.string() })

/** Room for the multipart framing around a file at the size limit; more is refused before it is read. */
const maxUploadBytes = maxFileBytes + 64 * 1024

const missingFile = () =>
  new ApiError(422, 'Field required', { code: 'validation_failed', issues: [{ loc: ['body', 'file'], msg: 'Field required', type: 'missing' }] })

/** The multipart field `file` of an upload, as FastAPI's `UploadFile = File(...)` reads it. */
async function uploadedFile(event: H3Event): Promise<File> {
  const type = event.req.headers.get('content-type') ?? ''
  if (!type.toLowerCase().startsWith('multipart/form-data')) throw missingFile()
  const length = Number(event.req.headers.get('content-length') ?? '0')
  if (length > maxUploadBytes) throw new ApiError(400, `File too large (${length} bytes, max ${maxFileBytes})`)
  let form: FormData
  try {
    form = await event.req.formData()
  } catch {
    throw new ApiError(400, 'There was an error parsing the body')
  }
  const file = form.get('file')
  if (!file || typeof file === 'string' || !file.name) throw missingFile()
  return file
}

/** `Content-Disposition` for a download, with the RFC 5987 form for names outside ASCII. */
function attachment(filename: string): string {
  const ascii = filename.replace(/[^\x20-\x7e]|["\\]/g, '_')
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(filename)}`
}

/** Config files (instance.yaml, config.yaml, scripts.yaml, outputs.yaml) and files in inputs/ and outputs/. */
export function fileRoutes(files: ServiceFiles): RouteDefinition[] {
  return [
    defineRoute({
      method: 'GET',
      path: '/api/services/:name/configs',
      summary: "A service's config files and whether each exists",
      tags,
      permission: 'services.config.view',
      params: serviceParams,
      handler: ({ params }) => files.listConfigs(params.name),
    }),
    defineRoute({
      method: 'GET',
      path: '/api/services/:name/configs/:filename',
      summary: 'Reads a config file (100 KB at most)',
      tags,
      permission: 'services.config.view',
      params: configParams,
      handler: ({ params }) => files.readConfig(params.name, params.filename),
    }),
    defineRoute({
      method: 'PUT',
      path: '/api/services/:name/configs/:filename',
      summary: 'Writes a config file: valid YAML, 100 KB at most; the old one is kept as <file>.backup',
      tags,
      permission: 'services.config.edit',
      audit: 'service.config.edit',
      resource: 'services/:name/configs/:filename',
      params: configParams,
      body: contentBody,
      handler: ({ params, body }) => files.writeConfig(params.name, params.filename, body.content),
    }),
    defineRoute({
      method: 'GET',
      path: '/api/services/:name/files/:subdir',
      summary: 'Files in inputs/ or outputs/',
      tags,
      permission: 'services.files.view',
      params: folderParams,
      handler: ({ params }) => files.listFiles(params.name, params.subdir),
    }),
    defineRoute({
      method: 'GET',
      path: '/api/services/:name/files/:subdir/:filename',
      summary: 'Downloads a file from inputs/ or outputs/ as an attachment',
      tags,
      permission: 'services.files.view',
      params: fileParams,
      raw: true,
      handler: async ({ params }) => {
        const path = await files.existing(params.name, params.subdir, params.filename)
        return new Response(await readFile(path), {
          headers: { 'content-type': 'application/octet-stream', 'content-disposition': attachment(params.filename) },
        })
      },
    }),
    defineRoute({
      method: 'POST',
      path: '/api/services/:name/files/:subdir',
      summary: 'Uploads a file (multipart field `file`, 100 KB at most) into inputs/ or outputs/',
      tags,
      permission: 'services.files.edit',
      audit: 'service.file.upload',
      resource: 'services/:name/files/:subdir',
      params: folderParams,
      handler: async ({ event, params, audit }) => {
        files.existingFolder(params.name, params.subdir)
        const file = await uploadedFile(event)
        await files.write(params.name, params.subdir, file.name, new Uint8Array(await file.arrayBuffer()))
        audit.resource = `services/${params.name}/files/${params.subdir}/${file.name}`
        return { status: 'uploaded', filename: file.name }
      },
    }),
    defineRoute({
      method: 'PUT',
      path: '/api/services/:name/files/:subdir/:filename',
      summary: 'Replaces a file in inputs/ or outputs/ with text content (100 KB at most)',
      tags,
      permission: 'services.files.edit',
      audit: 'service.file.edit',
      resource: 'services/:name/files/:subdir/:filename',
      params: fileParams,
      body: contentBody,
      handler: async ({ params, body }) => {
        await files.write(params.name, params.subdir, params.filename, Buffer.from(body.content))
        return { status: 'saved', filename: params.filename }
      },
    }),
    defineRoute({
      method: 'DELETE',
      path: '/api/services/:name/files/:subdir/:filename',
      summary: 'Deletes a file from inputs/ or outputs/ (a .backup copy stays)',
      tags,
      permission: 'services.files.edit',
      audit: 'service.file.delete',
      resource: 'services/:name/files/:subdir/:filename',
      params: fileParams,
      handler: async ({ params }) => {
        await files.delete(params.name, params.subdir, params.filename)
        return { status: 'deleted', filename: params.filename }
      },
    }),
  ]
}
