import { z } from 'zod'

/**
 * The config fields every HTTP cloud adapter shares: where its API is and how
 * its client retries. Spread into the adapter's own schema.
 */
export function httpClientConfigShape(defaultBaseUrl: string) {
  return {
    /** API root; point it at a stand-in for offline runs. */
    baseUrl: z
      .url()
      .default(defaultBaseUrl)
      .transform((url) => url.replace(/\/+$/, '')),
    /** Retries of a request answered 429/5xx or lost on the network. */
    retries: z.number().int().min(0).default(5),
    /** First retry delay; doubles each retry (with jitter) up to `maxRetryDelayMs`. */
    retryBaseMs: z.number().int().min(0).default(500),
    maxRetryDelayMs: z.number().int().min(0).default(10_000),
    /** One request's limit. */
    requestTimeoutMs: z.number().int().positive().default(30_000),
  }
}
