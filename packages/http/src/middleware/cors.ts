import { handleCors, type H3Event, type HTTPResponse } from 'h3'

/** CORS is off unless origins are configured (`cors.origins` / `PROVISIO_CORS_ORIGINS`). */
export interface CorsConfig {
  origins: string[]
}

/**
 * Adds CORS headers for allowed origins (h3 stages them on both success and error answers);
 * answers preflight requests itself.
 */
export function applyCors(event: H3Event, config: CorsConfig | undefined): HTTPResponse | undefined {
  if (!config || config.origins.length === 0) return undefined
  const preflight = handleCors(event, {
    origin: config.origins.includes('*') ? '*' : config.origins,
    methods: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'],
    allowHeaders: ['Authorization', 'Content-Type', 'Accept', 'X-Request-Id'],
    exposeHeaders: [
      'X-Request-Id',
      'X-RateLimit-Limit',
      'X-RateLimit-Remaining',
      'X-RateLimit-Reset',
      'X-Total-Count',
      'X-Limit',
      'X-Offset',
      'Link',
      'Retry-After',
    ],
  })
  return preflight === false ? undefined : preflight
}
