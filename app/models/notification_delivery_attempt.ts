import { NotificationDeliveryAttemptSchema } from '#database/schema'

/** One POST of a notification to its receiver: what came back, and how long it took. */
export default class NotificationDeliveryAttempt extends NotificationDeliveryAttemptSchema {}
