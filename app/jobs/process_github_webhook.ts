import vine from '@vinejs/vine'
import WebhookProcessor from '#services/github/webhook_processor'

const deliveryPayload = vine.create({ deliveryId: vine.number().withoutDecimals().min(1) })

/** Applies one stored GitHub webhook delivery (its row id). */
export default async function processGitHubWebhook(payload: unknown) {
  const { deliveryId } = await deliveryPayload.validate(payload)
  await WebhookProcessor.process(deliveryId)
}
