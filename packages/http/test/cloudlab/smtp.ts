import { once } from 'node:events'
import type { AddressInfo } from 'node:net'
import { SMTPServer } from 'smtp-server'

export interface ReceivedMail {
  from: string
  to: string[]
  subject: string
  text: string
}

/** Undoes the quoted-printable encoding nodemailer uses for long lines (links). */
function decodeQuotedPrintable(body: string): string {
  return body.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/g, (_match, hex: string) => String.fromCharCode(parseInt(hex, 16)))
}

function parseMessage(raw: string, envelope: { from: string; to: string[] }): ReceivedMail {
  const split = raw.indexOf('\r\n\r\n')
  const headers = raw.slice(0, split).replace(/\r\n\s+/g, ' ')
  const body = raw.slice(split + 4)
  const text = /^Content-Transfer-Encoding: quoted-printable$/im.test(headers) ? decodeQuotedPrintable(body) : body
  return { ...envelope, subject: /^Subject: (.*)$/m.exec(headers)?.[1] ?? '', text: text.replace(/\r\n/g, '\n') }
}

export interface SmtpCapture {
  port: number
  received: ReceivedMail[]
  /** The first mail to `to` that arrived after `after` mails were already there. */
  next: (to: string, after?: number) => Promise<ReceivedMail>
  close: () => Promise<void>
}

/** A real SMTP server on 127.0.0.1 (no TLS, no login) that keeps what it receives. */
export async function startSmtp(): Promise<SmtpCapture> {
  const received: ReceivedMail[] = []
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = []
      stream.on('data', (chunk: Buffer) => chunks.push(chunk))
      stream.on('end', () => {
        const envelope = { from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '', to: session.envelope.rcptTo.map((rcpt) => rcpt.address) }
        received.push(parseMessage(Buffer.concat(chunks).toString('utf8'), envelope))
        callback()
      })
    },
  })
  server.listen(0, '127.0.0.1')
  await once(server.server, 'listening')
  return {
    port: (server.server.address() as AddressInfo).port,
    received,
    async next(to, after = 0) {
      const until = Date.now() + 10_000
      for (;;) {
        const mail = received.slice(after).find((message) => message.to.includes(to))
        if (mail) return mail
        if (Date.now() > until) throw new Error(`no mail to ${to} within 10 s (got ${received.length})`)
        await new Promise((resolve) => setTimeout(resolve, 20))
      }
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  }
}
