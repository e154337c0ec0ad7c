export { mail, openMailTransport } from './plugin'
export type { MailOptions, MailTransporter, SmtpOptions } from './plugin'
export { defaultSubject, messageText } from './message'
