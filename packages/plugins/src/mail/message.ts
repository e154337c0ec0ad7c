import { isTaskNotification, type BatchNotification, type Notification, type TaskNotification } from '../notifications'

type Row = [label: string, value: string | number | null]

/** Default subject: `[provisio] task.failed: vultr/instance.create 019a…`. */
export function defaultSubject(notification: Notification): string {
  if (isTaskNotification(notification))
    return `[provisio] ${notification.event}: ${notification.data.provider}/${notification.data.action} ${notification.data.task_id}`
  return `[provisio] ${notification.event}: ${notification.data.name} ${notification.data.batch_id}`
}

/** A plain-text body that says what ended, how, and what the job printed last. */
export function messageText(notification: Notification): string {
  const head: Row[] = [
    ['event', notification.event],
    ['time', notification.timestamp],
  ]
  return isTaskNotification(notification) ? taskText(head, notification) : formatRows([...head, ...batchRows(notification)])
}

function taskText(head: Row[], { data }: TaskNotification): string {
  const table = formatRows([
    ...head,
    ['task', data.task_id],
    ['action', `${data.provider}/${data.action}`],
    ['status', data.status],
    ['attempt', data.attempt],
    ['duration', data.duration_ms === null ? null : `${data.duration_ms} ms`],
    ['error', data.error === null ? null : `${data.error}${data.error_code ? ` (${data.error_code})` : ''}`],
    [
      'labels',
      Object.entries(data.labels)
        .map(([key, value]) => `${key}=${value}`)
        .join(', ') || null,
    ],
  ])
  return data.output === null ? table : `${table}\nOutput:\n${data.output.replace(/^/gm, '  ')}\n`
}

function batchRows({ data }: BatchNotification): Row[] {
  return [
    ['batch', data.batch_id],
    ['name', data.version ? `${data.name} ${data.version}` : data.name],
    ['status', data.status],
    ['progress', `${data.progress}%`],
    ['duration', data.duration_ms === null ? null : `${data.duration_ms} ms`],
    ['error', data.error],
  ]
}

function formatRows(rows: Row[]): string {
  return rows
    .filter(([, value]) => value !== null)
    .map(([label, value]) => `${`${label}:`.padEnd(10)}${value}\n`)
    .join('')
}
