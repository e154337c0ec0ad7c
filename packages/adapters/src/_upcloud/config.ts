import { z } from 'zod'
import { httpClientConfigShape } from '../utils/http-config'

export const upcloudConfigSchema = z
  .object({
    /** API user name (`UPCLOUD_USERNAME`); with `password`, for HTTP Basic auth. */
    username: z.string().min(1).optional(),
    /** API user password (`UPCLOUD_PASSWORD`). */
    password: z.string().min(1).optional(),
    /** API token (`UPCLOUD_TOKEN`), sent as `Authorization: Bearer`; used instead of username/password. */
    token: z.string().min(1).optional(),
    ...httpClientConfigShape('https://api.upcloud.com/1.3'),
    /** Delay between reads while waiting for a state. */
    pollIntervalMs: z.number().int().positive().default(5_000),
    /** How long create and start wait for `started`, and a hard stop for `stopped`. */
    readyTimeoutMs: z.number().int().positive().default(600_000),
    /** How long a soft stop may take before the adapter stops the server hard. */
    stopTimeoutSeconds: z.number().int().min(1).max(600).default(60),
  })
  .refine((config) => config.token !== undefined || (config.username !== undefined && config.password !== undefined), {
    message: 'give either token, or username and password',
    path: ['token'],
  })

/** What `upcloud()` accepts. */
export type UpCloudOptions = z.input<typeof upcloudConfigSchema>
/** The validated configuration actions receive as `ctx.config`. */
export type UpCloudConfig = z.output<typeof upcloudConfigSchema>
