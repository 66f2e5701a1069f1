import vine from '@vinejs/vine'
import type { JobHelpers } from 'graphile-worker'
import WebhookProcessor from '#services/github/webhook_processor'

const deliveryPayload = vine.create({ deliveryId: vine.number().withoutDecimals().min(1) })

/** Applies one stored GitHub webhook delivery (its row id); retried by the queue until its last attempt. */
export default async function processGitHubWebhook(payload: unknown, helpers?: JobHelpers) {
  const { deliveryId } = await deliveryPayload.validate(payload)
  const attempt = helpers
    ? { number: helpers.job.attempts, max: helpers.job.max_attempts }
    : undefined
  await WebhookProcessor.process(deliveryId, attempt)
}
