import type { H3Event } from 'h3'
import type { Identity, Principal } from '../identity'
import { ApiError } from '../platform/errors'
import type { SurfaceMessages } from '../platform/types'

/** The token of an `Authorization: Bearer <token>` header. */
export function bearerToken(event: H3Event): string | undefined {
  const header = event.req.headers.get('authorization')
  return header ? bearerHeader.exec(header)?.[1] : undefined
}

// The scheme in any casing, then the first word after it.
const bearerHeader = /^\s*bearer\s+(\S+)/i

/**
 * Resolves the caller of a protected route. Returns the failure instead of throwing it, so the
 * platform can still count the request against the caller's IP and answer with rate-limit headers.
 */
export async function authenticate(
  identity: Identity,
  token: string | undefined,
  messages: SurfaceMessages = {},
): Promise<{ principal?: Principal; error?: unknown }> {
  if (!token) {
    const message = messages.notAuthenticated ?? 'Authentication required: send Authorization: Bearer <token>'
    return { error: new ApiError(401, message, { headers: messages.notAuthenticatedHeaders }) }
  }
  try {
    return { principal: await identity.verify(token) }
  } catch (error) {
    return { error }
  }
}
