import type { ApiError } from './errors'

type JsonSchema = Record<string, unknown>

/**
 * How a surface shapes its answers. The five seed documents disagree on error bodies and on
 * whether successes are wrapped, so each surface names one style and the platform does the rest.
 */
export interface ResponseStyle {
  name: 'envelope' | 'fastapi' | 'provisioning'
  /** The body of a successful answer carrying `data`. */
  success: (data: unknown) => unknown
  /** The body of an error answer. */
  error: (error: ApiError) => unknown
  /** Status of a request whose path, query or body failed its schema (malformed JSON is always 400). */
  validationStatus: { params: number; query: number; body: number }
  /** OpenAPI schemas for the two bodies above. */
  successSchema: (data: JsonSchema) => JsonSchema
  errorSchema: JsonSchema
}

/** `{ "success": true, "data": ... }` / `{ "success": false, "error": "..." }`: orchestrator and control-center (004). */
export const envelopeStyle: ResponseStyle = {
  name: 'envelope',
  success: (data) => ({ success: true, data }),
  error: (error) => ({ success: false, error: error.message }),
  validationStatus: { params: 400, query: 400, body: 422 },
  successSchema: (data) => ({
    type: 'object',
    properties: { success: { const: true }, data },
    required: ['success', 'data'],
  }),
  errorSchema: {
    type: 'object',
    properties: { success: { const: false }, error: { type: 'string' } },
    required: ['success', 'error'],
  },
}

/** FastAPI's `{ "detail": ... }`, validation problems as a list of `{ loc, msg, type }`: cloudlab and tartvm. */
export const fastapiStyle: ResponseStyle = {
  name: 'fastapi',
  success: (data) => data,
  error: (error) => ({ detail: error.issues ?? error.message }),
  validationStatus: { params: 422, query: 422, body: 422 },
  successSchema: (data) => data,
  errorSchema: {
    type: 'object',
    properties: {
      detail: {
        anyOf: [
          { type: 'string' },
          {
            type: 'array',
            items: {
              type: 'object',
              properties: { loc: { type: 'array', items: { type: ['string', 'integer'] } }, msg: { type: 'string' }, type: { type: 'string' } },
              required: ['loc', 'msg', 'type'],
            },
          },
        ],
      },
    },
    required: ['detail'],
  },
}

/** `{ "error": "CODE", "message": "...", "code": "400" }`: the provisioning surface (002). */
export const provisioningStyle: ResponseStyle = {
  name: 'provisioning',
  success: (data) => data,
  error: (error) => ({ error: error.code.toUpperCase(), message: error.message, code: String(error.status) }),
  validationStatus: { params: 400, query: 400, body: 400 },
  successSchema: (data) => data,
  errorSchema: {
    type: 'object',
    properties: { error: { type: 'string' }, message: { type: 'string' }, code: { type: 'string' } },
    required: ['error', 'message', 'code'],
  },
}
