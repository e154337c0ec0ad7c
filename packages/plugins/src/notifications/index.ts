export { watchNotifications } from './watch'
export type { WatchNotificationsOptions } from './watch'
export { isTaskNotification, notificationEvents } from './types'
export type {
  BatchNotification,
  BatchNotificationData,
  BatchNotificationEvent,
  Notification,
  NotificationEvent,
  TaskNotification,
  TaskNotificationData,
  TaskNotificationEvent,
} from './types'
