import { z } from 'zod'
import { httpClientConfigShape } from '../utils/http-config'

export const vultrConfigSchema = z.object({
  /** Personal access token from my.vultr.com → Account → API. */
  apiKey: z.string().min(1, 'apiKey is required'),
  ...httpClientConfigShape('https://api.vultr.com/v2'),
  /** Client-side limit shared by every job using this key (Vultr allows 30/s per key). */
  requestsPerSecond: z.number().positive().default(30),
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
