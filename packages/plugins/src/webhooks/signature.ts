import { createHmac, timingSafeEqual } from 'node:crypto'

/** The signature is always the last member of the body, so the signed bytes can be cut back out of it. */
const SIGNATURE_MEMBER = ',"signature":"'

/** `sha256=<hex HMAC-SHA256 of payload with secret>`. */
export function signPayload(payload: string, secret: string): string {
  return `sha256=${createHmac('sha256', secret).update(payload).digest('hex')}`
}

/**
 * The body sent for a payload: its JSON with `"signature":"sha256=…"` appended as
 * the last member. The signature covers the JSON exactly as it was before the
 * signature was appended.
 */
export function signedBody(payload: string, secret: string | undefined): { body: string; signature?: string } {
  if (!secret) return { body: payload }
  const signature = signPayload(payload, secret)
  return { body: `${payload.slice(0, -1)}${SIGNATURE_MEMBER}${signature}"}`, signature }
}

/**
 * The bytes a webhook's signature covers: the raw request body without its
 * trailing `,"signature":"…"` member. Undefined when the body carries no signature.
 */
export function signedPart(rawBody: string): string | undefined {
  const at = rawBody.lastIndexOf(SIGNATURE_MEMBER)
  if (at === -1) return undefined
  return `${rawBody.slice(0, at)}}`
}

/**
 * Checks a received webhook: the body's `signature` member (or the
 * `X-Provisio-Signature` header, when given) against the HMAC of the signed part
 * of the raw body. Give it the body exactly as received, before any JSON parsing.
 */
export function verifyWebhookSignature(rawBody: string, secret: string, signatureHeader?: string | null): boolean {
  const signed = signedPart(rawBody)
  if (signed === undefined) return false
  const claimed = signatureHeader ?? rawBody.slice(rawBody.lastIndexOf(SIGNATURE_MEMBER) + SIGNATURE_MEMBER.length, -2)
  const expected = Buffer.from(signPayload(signed, secret))
  const given = Buffer.from(claimed)
  return given.length === expected.length && timingSafeEqual(given, expected)
}
