import { STATUS_CODES, type Server } from 'node:http'
import type { Duplex } from 'node:stream'
import { ApiError } from '../platform/errors'
import type { ResponseStyle } from '../platform/error-styles'

/** Node's status for a request it could not parse, as its own default handler picks it. */
function statusOf(code: string | undefined): number {
  if (code === 'HPE_HEADER_OVERFLOW') return 431
  if (code === 'HPE_CHUNK_EXTENSIONS_OVERFLOW') return 413
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT') return 408
  return 400
}

const messages: Record<number, string> = {
  431: 'Request headers are too large',
  413: 'Request chunk extensions are too large',
  408: 'Request timed out before its headers were complete',
  400: 'Malformed HTTP request',
}

/**
 * Requests Node refuses before any route sees them (headers over its limit, broken syntax) get an
 * answer in the surface's error shape, with the headers every other answer carries, instead of
 * Node's bare status line. Written straight to the socket: there is no request object yet.
 */
export function answerClientErrors(server: Server, style: ResponseStyle): void {
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) => {
    // As Node's own handler: nothing to say on a reset connection or mid-way through another answer.
    const inFlight = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage
    if (error.code === 'ECONNRESET' || !socket.writable || inFlight?.headersSent) {
      socket.destroy()
      return
    }
    const status = statusOf(error.code)
    const body = JSON.stringify(style.error(new ApiError(status, messages[status])))
    socket.end(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\n` +
        'Content-Type: application/json;charset=UTF-8\r\n' +
        `Content-Length: ${Buffer.byteLength(body)}\r\n` +
        'Cache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\nConnection: close\r\n\r\n' +
        body,
    )
  })
}
