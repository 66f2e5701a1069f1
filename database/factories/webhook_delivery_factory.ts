import factory from '@adonisjs/lucid/factories'
import WebhookDelivery from '#models/webhook_delivery'

export const WebhookDeliveryFactory = factory
  .define(WebhookDelivery, ({ faker }) => ({
    deliveryId: faker.string.uuid(),
    event: 'issues',
    action: 'opened',
    status: 'received' as const,
    payload: { action: 'opened' },
  }))
  .build()
