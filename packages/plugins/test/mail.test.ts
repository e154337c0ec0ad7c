import { once } from 'node:events'
import type { AddressInfo } from 'node:net'
import { createTransport } from 'nodemailer'
import { SMTPServer } from 'smtp-server'
import { describe, expect, it } from 'vitest'
import { mail } from '../src'
import { closedPort, onCleanup, runJob, startEngine } from './helpers'

interface ReceivedMail {
  from: string
  to: string[]
  subject: string
  text: string
}

/** Undoes the quoted-printable encoding nodemailer uses for long or non-ASCII lines. */
function decodeQuotedPrintable(body: string): string {
  return body.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/g, (_match, hex: string) => String.fromCharCode(parseInt(hex, 16)))
}

function parseMessage(raw: string, envelope: { from: string; to: string[] }): ReceivedMail {
  const split = raw.indexOf('\r\n\r\n')
  const headers = raw.slice(0, split).replace(/\r\n\s+/g, ' ')
  const subject = /^Subject: (.*)$/m.exec(headers)?.[1] ?? ''
  const body = raw.slice(split + 4)
  const text = /^Content-Transfer-Encoding: quoted-printable$/im.test(headers) ? decodeQuotedPrintable(body) : body
  return { ...envelope, subject, text: text.replace(/\r\n/g, '\n') }
}

/** A real SMTP server on 127.0.0.1 (no TLS, no login) that keeps what it receives. */
async function startSmtpServer() {
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
  onCleanup(() => new Promise((resolve) => server.close(() => resolve(undefined))))
  return { port: (server.server.address() as AddressInfo).port, received }
}

describe('mail', () => {
  it('mails a failed task with its error and last output lines, and nothing for other events', async () => {
    const smtp = await startSmtpServer()
    const engine = await startEngine({
      plugins: [
        mail({
          transport: { host: '127.0.0.1', port: smtp.port, secure: false },
          from: 'provisio@example.test',
          to: 'ops@example.test',
          on: ['task.failed'],
          outputLines: 2,
        }),
      ],
    })
    await runJob(engine, 'echo', { lines: ['all good'] })
    const failed = await runJob(engine, 'fail', {
      message: 'quota exceeded',
      code: 'quota',
      lines: ['creating web-01', 'calling the API', 'HTTP 429 from the API'],
    })
    // stop() waits for the mails under way.
    await engine.stop()

    expect(smtp.received).toHaveLength(1)
    const [message] = smtp.received
    expect(message).toMatchObject({ from: 'provisio@example.test', to: ['ops@example.test'], subject: `[provisio] task.failed: test/fail ${failed.id}` })
    expect(message.text).toContain(`task:     ${failed.id}\n`)
    expect(message.text).toContain('action:   test/fail\n')
    expect(message.text).toContain('status:   failed\n')
    expect(message.text).toContain('error:    quota exceeded (quota)\n')
    expect(message.text).toContain('Output:\n  calling the API\n  HTTP 429 from the API\n')
    expect(message.text).not.toContain('creating web-01')
  })

  it('uses a given transporter, subject and several recipients', async () => {
    const smtp = await startSmtpServer()
    const transporter = createTransport({ host: '127.0.0.1', port: smtp.port, secure: false })
    onCleanup(() => transporter.close())
    const engine = await startEngine({
      plugins: [
        mail({
          transport: transporter,
          from: 'provisio@example.test',
          to: ['ops@example.test', 'oncall@example.test'],
          on: ['task.completed'],
          subject: (notification) => `done: ${notification.event}`,
        }),
      ],
    })
    const job = await runJob(engine, 'echo', { result: { ip: '192.0.2.10' } })
    await engine.stop()

    expect(smtp.received).toHaveLength(1)
    expect(smtp.received[0]).toMatchObject({ to: ['ops@example.test', 'oncall@example.test'], subject: 'done: task.completed' })
    expect(smtp.received[0].text).toContain(`task:     ${job.id}\n`)
    expect(smtp.received[0].text).toContain('Output:\n  {"ip":"192.0.2.10"}\n')
  })

  it('reports a mail it could not send as an engine error, without failing anything', async () => {
    const port = await closedPort()
    const engine = await startEngine({ plugins: [mail({ transport: { host: '127.0.0.1', port }, from: 'provisio@example.test', to: 'ops@example.test' })] })
    const errors: Array<{ error: Error; context: string }> = []
    engine.on('engine:error', (event) => errors.push(event))
    const job = await runJob(engine, 'fail')
    await engine.stop()

    expect(job.status).toBe('failed')
    expect(errors).toHaveLength(1)
    expect(errors[0].context).toBe('mail: task.failed to ops@example.test')
    expect(errors[0].error.message).toMatch(/ECONNREFUSED/)
  })

  it('rejects an unknown event name', () => {
    expect(() => mail({ transport: { host: '127.0.0.1', port: 25 }, from: 'a@example.test', to: 'b@example.test', on: ['task.exploded' as never] })).toThrow(
      /unknown event\(s\) task\.exploded/,
    )
  })
})
