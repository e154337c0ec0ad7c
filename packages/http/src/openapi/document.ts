import { z } from 'zod'
import type { RouteDefinition, SurfaceDefinition } from '../platform/types'

type JsonSchema = Record<string, unknown>

/** Request schemas are documented as clients send them (before coercion and defaults). */
function inputSchema(schema: z.ZodType): JsonSchema {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as JsonSchema
  return rest
}

function outputSchema(schema: z.ZodType): JsonSchema {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, { io: 'output', unrepresentable: 'any' }) as JsonSchema
  return rest
}

/** `/users/:id` → `/users/{id}`; a catch-all `/vms/**:target` → `/vms/{target}`. */
export function openApiPath(path: string): string {
  return path.replace(/\*\*:(\w+)/g, '{$1}').replace(/:(\w+)/g, '{$1}')
}

function operationId(route: RouteDefinition): string {
  const words = route.path.split(/[^A-Za-z0-9]+/).filter(Boolean)
  return [route.method.toLowerCase(), ...words.map((word) => word[0].toUpperCase() + word.slice(1))].join('')
}

function parameters(schema: z.ZodType | undefined, location: 'path' | 'query'): JsonSchema[] {
  if (!schema) return []
  const json = inputSchema(schema)
  const properties = (json.properties ?? {}) as Record<string, JsonSchema>
  const required = new Set((json.required as string[] | undefined) ?? [])
  return Object.entries(properties).map(([name, property]) => {
    const { description, ...propertySchema } = property
    return {
      name,
      in: location,
      required: location === 'path' || required.has(name),
      ...(description ? { description } : {}),
      schema: propertySchema,
    }
  })
}

const errorRef = { $ref: '#/components/schemas/Error' }

/** Routes check the surface's own credential unless they opt out (`auth: false`), as `createSurfaceApp` runs `authenticate`. */
const usesCredential = (route: RouteDefinition, surface: SurfaceDefinition) => surface.credential !== undefined && route.auth !== false

function security(route: RouteDefinition, surface: SurfaceDefinition): JsonSchema[] {
  if (route.auth ?? surface.auth) return [{ bearerAuth: [] }]
  return usesCredential(route, surface) ? [{ [surface.credential!.scheme]: [] }] : []
}

function securitySchemes(surface: SurfaceDefinition): JsonSchema {
  const credential = surface.credential
  const schemes: JsonSchema = { bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } }
  if (!credential) return schemes
  schemes[credential.scheme] = { type: 'apiKey', in: 'header', name: credential.header, description: credential.description }
  if (credential.query) schemes[`${credential.scheme}Query`] = { type: 'apiKey', in: 'query', name: credential.query, description: credential.description }
  return schemes
}

function errorResponses(route: RouteDefinition, surface: SurfaceDefinition): Record<string, JsonSchema> {
  const statuses = new Map<number, string>()
  const auth = route.auth ?? surface.auth
  if (route.body || route.query || route.params) statuses.set(400, 'Invalid request parameters or malformed JSON')
  if (auth) statuses.set(401, 'Authentication required or invalid')
  if (usesCredential(route, surface)) statuses.set(surface.credential!.refusal.status, surface.credential!.refusal.description)
  if (auth && (route.permission || (surface.policies && route.resource))) statuses.set(403, 'Permission denied')
  if (route.params) statuses.set(404, 'Resource not found')
  if (route.body) statuses.set(surface.style.validationStatus.body, 'Validation error')
  statuses.set(429, 'Rate limit exceeded')
  statuses.set(500, 'Server error')
  return Object.fromEntries(
    [...statuses].map(([status, description]) => [String(status), { description, content: { 'application/json': { schema: errorRef } } }]),
  )
}

function operation(route: RouteDefinition, surface: SurfaceDefinition): JsonSchema {
  const status = String(route.status ?? 200)
  const success = route.raw
    ? { description: route.summary }
    : {
        description: route.summary,
        content: { 'application/json': { schema: surface.style.successSchema(route.response ? outputSchema(route.response) : {}) } },
      }
  return {
    operationId: operationId(route),
    summary: route.summary,
    ...(route.description ? { description: route.description } : {}),
    ...(route.tags ? { tags: route.tags } : {}),
    security: security(route, surface),
    parameters: [...parameters(route.params, 'path'), ...parameters(route.query, 'query')],
    ...(route.body ? { requestBody: { required: true, content: { 'application/json': { schema: inputSchema(route.body) } } } } : {}),
    responses: { [status]: success, ...(route.raw ? {} : errorResponses(route, surface)) },
  }
}

/** The OpenAPI 3.1 document of a surface, built from the zod schemas its routes validate with. */
export function createOpenApiDocument(surface: SurfaceDefinition, routes: RouteDefinition[]): JsonSchema {
  const paths: Record<string, Record<string, JsonSchema>> = {}
  for (const route of routes) {
    const path = openApiPath(route.path)
    paths[path] ??= {}
    paths[path][route.method.toLowerCase()] = operation(route, surface)
  }
  // OpenAPI has no WebSocket operations: an upgrade is documented as the GET it starts with.
  for (const socket of surface.websockets ?? []) {
    const path = openApiPath(socket.path)
    paths[path] ??= {}
    paths[path].get = {
      operationId: operationId({ method: 'GET', path: socket.path } as RouteDefinition),
      summary: `${socket.summary} (WebSocket)`,
      security:
        (socket.auth ?? surface.auth)
          ? [{ bearerAuth: [] }]
          : socket.credential && surface.credential?.query
            ? [{ [`${surface.credential.scheme}Query`]: [] }]
            : [],
      responses: {
        '101': { description: 'Switching Protocols: the WebSocket is open' },
        ...(socket.credential && surface.credential
          ? { [String(surface.credential.refusal.status)]: { description: `The handshake is refused: ${surface.credential.refusal.description}` } }
          : {}),
      },
    }
  }
  return {
    openapi: '3.1.0',
    info: { title: surface.title, version: surface.version, ...(surface.description ? { description: surface.description } : {}) },
    paths,
    components: {
      securitySchemes: securitySchemes(surface),
      schemas: { Error: surface.style.errorSchema },
    },
  }
}
