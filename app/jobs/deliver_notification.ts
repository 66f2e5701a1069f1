import vine from '@vinejs/vine'
import type { JobHelpers } from 'graphile-worker'
import NotificationSender from '#services/notifications/notification_sender'

const deliverNotificationPayload = vine.create({
  deliveryId: vine.number().withoutDecimals().min(1),
})

/** Sends one notification delivery; its last attempt records the failure instead of throwing. */
export default async function deliverNotification(payload: unknown, helpers: JobHelpers) {
  const { deliveryId } = await deliverNotificationPayload.validate(payload)
  await NotificationSender.deliver(deliveryId, helpers.job.attempts >= helpers.job.max_attempts)
}
