import type { HttpContext } from '@adonisjs/core/http'
import WebhookReceiver from '#services/github/webhook_receiver'

/** POST /webhooks/github: GitHub's deliveries, acknowledged fast and processed by a job. */
export default class GithubWebhooksController {
  async store({ request, response }: HttpContext) {
    const received = await WebhookReceiver.receive({
      rawBody: request.raw() ?? '',
      payload: webhookPayload(request.body(), request.bodyType),
      event: request.header('x-github-event'),
      deliveryId: request.header('x-github-delivery'),
      signature: request.header('x-hub-signature-256'),
    })
    // A redelivery is acknowledged (200) and not processed again.
    return response
      .status(received.duplicate ? 200 : 202)
      .json({ delivery: received.deliveryId, duplicate: received.duplicate })
  }
}

/** GitHub sends JSON, or (when configured so) a form with the JSON in its `payload` field. */
function webhookPayload(body: Record<string, unknown>, bodyType: string | undefined): unknown {
  if (bodyType === 'json') return body
  if (bodyType === 'urlencoded' && typeof body.payload === 'string') {
    try {
      return JSON.parse(body.payload)
    } catch {
      return null
    }
  }
  return null
}
