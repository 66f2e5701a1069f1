import { test } from '@japa/runner'
import type { JobHelpers } from 'graphile-worker'
import db from '@adonisjs/lucid/services/db'
import deliverNotification from '#jobs/deliver_notification'
import Integration from '#models/integration'
import NotificationDelivery from '#models/notification_delivery'
import Notifier from '#services/notifications/notifier'
import { ProjectFactory } from '#database/factories/project_factory'
import { userWithRole } from '#tests/support/admin_pages'
import { startReceiver } from '#tests/support/notification_receiver'
import { emptyWorld } from '#tests/support/test_database'
import { discardQueuedJobs } from '#tests/support/queued_jobs'

/** The job as graphile-worker calls it, on attempt `attempts` of `maxAttempts`. */
function helpersFor(attempts: number, maxAttempts = 13) {
  return { job: { attempts, max_attempts: maxAttempts } } as unknown as JobHelpers
}

async function publishedTo(url: string) {
  const project = await ProjectFactory.create()
  await Integration.connect(
    project,
    { kind: 'webhook', name: 'ops-hook', secret: 'signing-secret', url, events: null },
    await userWithRole('maintainer'),
    null
  )
  await db.transaction((trx) =>
    Notifier.publish(trx, project.id, 'item.completed', { work_item: { id: 1 } })
  )
  return NotificationDelivery.query().firstOrFail()
}

test.group('deliver_notification job', (group) => {
  group.each.setup(async () => {
    await emptyWorld()
    await discardQueuedJobs()
  })
  group.each.teardown(() => discardQueuedJobs())

  test('sends the delivery once and records the attempt; a second run of the job sends nothing', async ({
    assert,
    cleanup,
  }) => {
    const receiver = await startReceiver()
    cleanup(() => receiver.close())
    const delivery = await publishedTo(receiver.url)

    await deliverNotification({ deliveryId: delivery.id }, helpersFor(1))
    await deliverNotification({ deliveryId: delivery.id }, helpersFor(2))

    assert.lengthOf(receiver.received, 1)
    await delivery.refresh()
    assert.equal(delivery.status, 'delivered')
    assert.equal(delivery.attempts, 1)
    assert.equal(delivery.lastStatusCode, 200)
  })

  test('a refused attempt throws for graphile-worker to retry; the last one ends the delivery failed', async ({
    assert,
    cleanup,
  }) => {
    const receiver = await startReceiver({ answers: [500, 503] })
    cleanup(() => receiver.close())
    const delivery = await publishedTo(receiver.url)

    await assert.rejects(() => deliverNotification({ deliveryId: delivery.id }, helpersFor(1, 2)))
    await delivery.refresh()
    assert.equal(delivery.status, 'pending')

    await deliverNotification({ deliveryId: delivery.id }, helpersFor(2, 2))
    await delivery.refresh()
    assert.equal(delivery.status, 'failed')
    assert.equal(delivery.lastStatusCode, 503)
    const attempts = await db.from('notification_delivery_attempts').orderBy('attempt')
    assert.deepEqual(
      attempts.map((row) => [row.attempt, row.status_code]),
      [
        [1, 500],
        [2, 503],
      ]
    )
  })

  test('refuses a payload without a delivery id', async ({ assert }) => {
    await assert.rejects(() => deliverNotification({}, helpersFor(1)))
  })
})
