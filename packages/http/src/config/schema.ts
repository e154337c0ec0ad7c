import { notificationEvents } from '@provisio/plugins'
import { z } from 'zod'
import { isAddressOrCidr } from '../middleware/client-ip'
import { surfaceNames } from '../surfaces'

const port = z.number().int().min(0).max(65535)

/** A signing key as written: base64 or base64url of at least 32 random bytes (`openssl rand -base64 32`). */
export const signingKeyText = z
  .string()
  .trim()
  .regex(/^[A-Za-z0-9+/_-]+={0,2}$/, 'base64 or base64url text (openssl rand -base64 32)')
  .refine((text) => Buffer.from(text, 'base64').length >= 32, 'at least 32 bytes once decoded (openssl rand -base64 32 makes one)')
const perMinute = z.number().int().min(1).max(1_000_000)

/** Per-surface port keys, one per registered surface (`ports.control-center`). */
const portsSchema = z.object(Object.fromEntries(surfaceNames.map((name) => [name, port.optional()])) as Record<string, z.ZodOptional<typeof port>>).strict()

/** Per-surface bind addresses, overriding `host` (`hosts.control-center`). */
const hostsSchema = z
  .object(Object.fromEntries(surfaceNames.map((name) => [name, z.string().min(1).optional()])) as Record<string, z.ZodOptional<z.ZodString>>)
  .strict()

/**
 * The `provisio serve` configuration, as read from `provisio.yaml`, `PROVISIO_*` variables and
 * flags (later sources win). Unknown keys are refused so a typo does not pass silently.
 */
export const serveConfigSchema = z
  .object({
    host: z.string().min(1).default('127.0.0.1').describe('Bind address of the surfaces'),
    dataDir: z.string().min(1).default('.provisio').describe('Directory of the data and the JWT signing key'),
    surfaces: z
      .array(z.enum(surfaceNames as [string, ...string[]]))
      .min(1)
      .optional()
      .describe('Surfaces to serve; all by default'),
    ports: portsSchema.default({}),
    hosts: hostsSchema.default({}),
    storage: z.enum(['fs', 'memory', 'redis']).default('fs'),
    sandbox: z.boolean().default(false).describe('Run providers without credentials against local stand-ins instead of leaving them out'),
    redisUrl: z
      .string()
      .regex(/^rediss?:\/\//, 'a redis:// or rediss:// URL')
      .optional(),
    signingKey: signingKeyText
      .optional()
      .describe('The JWT signing key itself (base64, 32+ bytes): every node given the same one signs and verifies the same tokens'),
    signingKeyFile: z.string().min(1).optional().describe('A file holding the JWT signing key (base64, 32+ bytes), read at start'),
    cluster: z
      .object({
        nodeId: z
          .string()
          .regex(/^[A-Za-z0-9._-]{1,100}$/, 'letters, digits, dot, dash or underscore (at most 100)')
          .optional()
          .describe('Name of this node in health answers and metrics; default <hostname>-<pid>'),
        heartbeatMs: z
          .number()
          .int()
          .min(100)
          .max(600_000)
          .default(5_000)
          .describe('How often the node writes its record; it drops out three heartbeats after its last'),
      })
      .strict()
      .default({ heartbeatMs: 5_000 }),
    rateLimits: z.object({ auth: perMinute.optional(), general: perMinute.optional(), batch: perMinute.optional() }).strict().default({}),
    cors: z
      .object({ origins: z.array(z.string().min(1)) })
      .strict()
      .optional(),
    trustProxy: z
      .union([z.number().int().min(0).max(20), z.array(z.string().refine(isAddressOrCidr, 'an IP address or CIDR range (10.0.0.0/8)')).min(1)])
      .optional()
      .describe('Reverse proxies whose X-Forwarded-For / Forwarded entries name the client: a hop count, or proxy addresses / CIDR ranges'),
    shutdownGraceMs: z.number().int().min(0).max(3_600_000).default(10_000),
    accessTokenTtlSeconds: z.number().int().min(30).optional(),
    webhooks: z
      .object({
        enabled: z.boolean().default(true),
        endpoints: z
          .array(
            z
              .object({
                url: z.url({ protocol: /^https?$/ }),
                events: z
                  .array(z.enum(notificationEvents as [string, ...string[]]))
                  .min(1)
                  .optional(),
                secret: z.string().min(1).optional(),
                headers: z.record(z.string(), z.string()).optional(),
              })
              .strict(),
          )
          .default([]),
        pendingSweepMs: z
          .number()
          .int()
          .min(100)
          .max(86_400_000)
          .optional()
          .describe('How often deliveries left pending by a stopped node are picked up, once across the nodes; default 60 000'),
      })
      .strict()
      .optional()
      .describe("004's webhook block: each endpoint gets the events it lists, signed with its secret"),
    refreshTokenTtlSeconds: z.number().int().min(60).optional(),
    tartvm: z
      .object({
        tokenFile: z.string().min(1).optional().describe('The X-Local-Token file (0600); default <dataDir>/tartvm/token'),
        ui: z.string().min(1).optional().describe('A checkout of de taartenfabriek whose web page is served at /'),
      })
      .strict()
      .default({}),
    cloudlab: z
      .object({
        servicesDir: z
          .string()
          .min(1)
          .optional()
          .describe("An existing CloudLab Manager's services/ folder, used as it is; default <dataDir>/cloudlab/services"),
        inventoryTypesDir: z
          .string()
          .min(1)
          .optional()
          .describe("An existing CloudLab Manager's inventory_types/ folder; default <dataDir>/cloudlab/inventory_types"),
        ui: z.string().min(1).optional().describe('A built CloudLab Manager frontend (its frontend/dist) served at /'),
        publicUrl: z
          .url({ protocol: /^https?$/ })
          .optional()
          .describe('Where users reach the UI, for the links in invite and reset mails; default the origin of each request'),
        smtp: z
          .object({
            host: z.string().min(1),
            port: z.number().int().min(1).max(65535).default(587),
            secure: z.boolean().default(false).describe('TLS from the start (port 465); otherwise STARTTLS when offered'),
            user: z.string().min(1).optional(),
            password: z.string().min(1).optional(),
            from: z.string().min(3).describe('Sender of the invite and reset mails'),
          })
          .strict()
          .optional()
          .describe('The SMTP server of the invite and password-reset mails; without it no mail is sent'),
      })
      .strict()
      .default({}),
  })
  .strict()
  .superRefine((config, ctx) => {
    if (config.storage === 'redis' && !config.redisUrl) {
      ctx.addIssue({ code: 'custom', path: ['redisUrl'], message: 'required when storage is "redis"' })
    }
    if (config.signingKey !== undefined && config.signingKeyFile !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['signingKey'], message: 'give the key or a file holding it (signingKeyFile), not both' })
    }
  })

export type ServeConfig = z.output<typeof serveConfigSchema>
