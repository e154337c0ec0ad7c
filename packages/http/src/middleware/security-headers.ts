/**
 * Headers every answer carries, API or documentation page: no MIME sniffing of JSON into HTML,
 * and no framing of `/docs` (clickjacking); browsers send no referrer with links out of it.
 */
const securityHeaders: Record<string, string> = {
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Content-Security-Policy': "frame-ancestors 'none'",
  'Referrer-Policy': 'no-referrer',
}

export function setSecurityHeaders(headers: Headers): void {
  for (const [name, value] of Object.entries(securityHeaders)) headers.set(name, value)
}
