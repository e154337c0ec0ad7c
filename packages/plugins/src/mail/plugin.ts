import { definePlugin, type Plugin } from '@provisio/engine'
import { createTransport } from 'nodemailer'
import { notificationEvents, watchNotifications, type Notification, type NotificationEvent } from '../notifications'
import { defaultSubject, messageText } from './message'

/** SMTP server settings, as nodemailer's SMTP transport takes them. */
export interface SmtpOptions {
  host: string
  port: number
  /** TLS from the start (port 465); otherwise STARTTLS when the server offers it. */
  secure?: boolean
  auth?: { user: string; pass: string }
}

/** Any nodemailer transporter (`createTransport(...)`), or anything with its `sendMail`. */
export interface MailTransporter {
  sendMail: (message: { from: string; to: string | string[]; subject: string; text: string }) => Promise<unknown>
  close?: () => void
}

export interface MailOptions {
  transport: SmtpOptions | MailTransporter
  from: string
  to: string | string[]
  /** Events that send a mail. Default `['task.failed', 'batch.failed']`. */
  on?: NotificationEvent[]
  /** Subject of each mail: a fixed string or built from the notification. */
  subject?: string | ((notification: Notification) => string)
  /** Lines of a job's output quoted in the mail. Default 20. */
  outputLines?: number
}

const isTransporter = (transport: MailOptions['transport']): transport is MailTransporter => typeof (transport as MailTransporter).sendMail === 'function'

/**
 * A transporter for `transport`: nodemailer's SMTP transport for server settings, a transporter
 * handed in as it is. `own` says whether it was made here, so whoever holds it closes it.
 */
export function openMailTransport(transport: SmtpOptions | MailTransporter): { transporter: MailTransporter; own: boolean } {
  return isTransporter(transport) ? { transporter: transport, own: false } : { transporter: createTransport(transport), own: true }
}

/** Sends a mail through nodemailer when a task or batch ends the way `on` lists. */
export function mail(options: MailOptions): Plugin {
  const on = options.on ?? ['task.failed', 'batch.failed']
  const unknown = on.filter((event) => !notificationEvents.includes(event))
  if (unknown.length) throw new TypeError(`[provisio] [mail] unknown event(s) ${unknown.join(', ')} (known: ${notificationEvents.join(', ')})`)
  const subjectOf =
    typeof options.subject === 'function'
      ? options.subject
      : (notification: Notification) => (options.subject as string | undefined) ?? defaultSubject(notification)

  return definePlugin({
    name: 'mail',
    setup(engine) {
      const { transporter, own: ownTransport } = openMailTransport(options.transport)
      const sending = new Set<Promise<void>>()

      const send = (notification: Notification) => {
        if (!on.includes(notification.event)) return
        const message = { from: options.from, to: options.to, subject: subjectOf(notification), text: messageText(notification) }
        const sent: Promise<void> = transporter
          .sendMail(message)
          .then(
            () => {},
            (error: Error) => {
              engine.emit('engine:error', { error, context: `mail: ${notification.event} to ${String(options.to)}` })
            },
          )
          .finally(() => sending.delete(sent))
        sending.add(sent)
      }

      const unwatch = watchNotifications(engine, send, { outputLines: options.outputLines })
      return async () => {
        unwatch()
        await Promise.allSettled([...sending])
        // A transporter handed in belongs to the app, which may keep using it.
        if (ownTransport) transporter.close?.()
      }
    },
  })
}
