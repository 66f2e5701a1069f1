import { test } from '@japa/runner'
import db from '@adonisjs/lucid/services/db'
import AuditEvent from '#models/audit_event'
import Integration from '#models/integration'
import NotificationDelivery from '#models/notification_delivery'
import Notifier from '#services/notifications/notifier'
import { ProjectFactory } from '#database/factories/project_factory'
import { userWithRole } from '#tests/support/admin_pages'
import { emptyWorld } from '#tests/support/test_database'
import { discardQueuedJobs } from '#tests/support/queued_jobs'
import { jobsOf } from '#tests/support/github_world'

async function delivery() {
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
  await db.transaction((trx) =>
    Notifier.publish(trx, project.id, 'item.completed', { work_item: { id: 1 } })
  )
  return NotificationDelivery.query().firstOrFail()
}

test.group('NotificationDelivery', (group) => {
  group.each.setup(async () => {
    await emptyWorld()
    await discardQueuedJobs()
  })
  group.each.teardown(() => discardQueuedJobs())

  test('markAttempt: a success delivers; a failure keeps it pending until the final attempt', ({
    assert,
  }) => {
    const pending = new NotificationDelivery()
    pending.merge({ status: 'pending', attempts: 0 })
    pending.markAttempt({ ok: false, statusCode: 500, durationMs: 3, error: 'HTTP 500' }, false)
    assert.equal(pending.status, 'pending')
    pending.markAttempt({ ok: false, statusCode: null, durationMs: 10_000, error: 'timeout' }, true)
    assert.equal(pending.status, 'failed')
    assert.equal(pending.attempts, 2)

    const delivered = new NotificationDelivery()
    delivered.merge({ status: 'pending', attempts: 0 })
    delivered.markAttempt({ ok: true, statusCode: 204, durationMs: 4, error: null }, false)
    assert.equal(delivered.status, 'delivered')
    assert.isNotNull(delivered.deliveredAt)
  })

  test('redeliver: refused while pending; a finished one is queued again and audited', async ({
    assert,
  }) => {
    const sent = await delivery()
    const maintainer = await userWithRole('maintainer')
    await assert.rejects(() => sent.redeliver(maintainer, null), /still being sent/)

    await NotificationDelivery.query().where('id', sent.id).update({ status: 'failed' })
    await sent.refresh()
    const queuedBefore = await jobsOf('deliver_notification')
    await sent.redeliver(maintainer, '203.0.113.9')

    await sent.refresh()
    assert.equal(sent.status, 'pending')
    assert.lengthOf(await jobsOf('deliver_notification'), queuedBefore.length + 1)
    const event = await AuditEvent.query()
      .where('action', 'notification_delivery.redelivered')
      .firstOrFail()
    assert.equal(event.details.previous_status, 'failed')
    assert.equal(event.ipAddress, '203.0.113.9')
  })
})
