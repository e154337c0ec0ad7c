import { openMailTransport, type MailTransporter, type SmtpOptions } from '@provisio/plugins'

/** Where invite and reset mails go out: an SMTP server (or any nodemailer transporter) and the sender. */
export interface CloudlabMailOptions {
  transport: SmtpOptions | MailTransporter
  from: string
}

export interface Mailer {
  /** True when a mail went out; false when mail is not configured or the server refused it. */
  send(message: { to: string; subject: string; text: string }): Promise<boolean>
  close(): void
}

/** Mail is optional, as in CloudLab Manager: without it, the invite answer still carries its token. */
export function createMailer(options: CloudlabMailOptions | undefined, onError: (error: unknown) => void): Mailer {
  if (!options) return { send: async () => false, close: () => {} }
  const { transporter, own } = openMailTransport(options.transport)
  return {
    async send(message) {
      try {
        await transporter.sendMail({ from: options.from, ...message })
        return true
      } catch (error) {
        onError(error)
        return false
      }
    },
    close: () => {
      if (own) transporter.close?.()
    },
  }
}
