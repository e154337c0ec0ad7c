import { z } from 'zod'

export const vultrConfigSchema = z.object({
  /** Personal access token from my.vultr.com → Account → API. */
  apiKey: z.string().min(1, 'apiKey is required'),
  /** API root; point it at a stand-in for offline runs. */
  baseUrl: z
    .url()
    .default('https://api.vultr.com/v2')
    .transform((url) => url.replace(/\/+$/, '')),
  /** Client-side limit shared by every job using this key (Vultr allows 30/s per key). */
  requestsPerSecond: z.number().positive().default(30),
  /** Retries of a request answered 429/5xx or lost on the network. */
  retries: z.number().int().min(0).default(5),
  /** First retry delay; doubles each retry (with jitter) up to `maxRetryDelayMs`. */
  retryBaseMs: z.number().int().min(0).default(500),
  maxRetryDelayMs: z.number().int().min(0).default(10_000),
  /** One request's limit. */
  requestTimeoutMs: z.number().int().positive().default(30_000),
  /** Delay between reads while waiting for an instance to become ready or change power state. */
  pollIntervalMs: z.number().int().positive().default(5_000),
  /** How long `instance.create` (and start/halt/reboot) wait before failing. */
  readyTimeoutMs: z.number().int().positive().default(600_000),
  /** Page size used when following list cursors (1-500). */
  perPage: z.number().int().min(1).max(500).default(100),
})

/** What `vultr()` accepts. */
export type VultrOptions = z.input<typeof vultrConfigSchema>
/** The validated configuration actions receive as `ctx.config`. */
export type VultrConfig = z.output<typeof vultrConfigSchema>
