import { test } from '@japa/runner'
import db from '@adonisjs/lucid/services/db'
import Integration from '#models/integration'
import NotificationDelivery from '#models/notification_delivery'
import NotificationDeliveryAttempt from '#models/notification_delivery_attempt'
import Notifier from '#services/notifications/notifier'
import { ProjectFactory } from '#database/factories/project_factory'
import { userWithRole } from '#tests/support/admin_pages'
import { emptyWorld } from '#tests/support/test_database'
import { discardQueuedJobs } from '#tests/support/queued_jobs'

test.group('NotificationDeliveryAttempt', (group) => {
  group.each.setup(async () => {
    await emptyWorld()
    await discardQueuedJobs()
  })
  group.each.teardown(() => discardQueuedJobs())

  test('one row per attempt number of a delivery, listed with it, gone with it', async ({
    assert,
  }) => {
    const project = await ProjectFactory.create()
    await Integration.connect(
      project,
      {
        kind: 'webhook',
        name: 'ops-hook',
        secret: 'signing-secret',
        url: 'https://hooks.example.com/gatehouse',
        events: null,
      },
      await userWithRole('maintainer'),
      null
    )
    await db.transaction((trx) => Notifier.publish(trx, project.id, 'item.completed', {}))
    const delivery = await NotificationDelivery.query().firstOrFail()
    const attempt = { notificationDeliveryId: delivery.id, attempt: 1, durationMs: 12 }
    await NotificationDeliveryAttempt.create({ ...attempt, statusCode: 500, error: 'HTTP 500' })
    await assert.rejects(() => NotificationDeliveryAttempt.create(attempt))

    await delivery.load('attemptRecords')
    assert.deepEqual(
      delivery.attemptRecords.map((row) => [row.attempt, row.statusCode]),
      [[1, 500]]
    )
    await delivery.delete()
    assert.lengthOf(await NotificationDeliveryAttempt.all(), 0)
  })
})
