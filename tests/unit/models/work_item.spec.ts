import { test } from '@japa/runner'
import { DateTime } from 'luxon'
import db from '@adonisjs/lucid/services/db'
import testUtils from '@adonisjs/core/services/test_utils'
import { claimedRun } from '#tests/support/claimed_run'
import { UserFactory } from '#database/factories/user_factory'
import { WorkItemFactory } from '#database/factories/work_item_factory'
import { ProjectFactory } from '#database/factories/project_factory'
import { AgentFactory } from '#database/factories/agent_factory'
import AuditEvent from '#models/audit_event'
import RunLifecycle from '#services/runs/run_lifecycle'

async function pendingItem(overrides: Record<string, unknown> = {}) {
  const project = await ProjectFactory.create()
  return WorkItemFactory.merge({ projectId: project.id, ...overrides }).create()
}

test.group('Human actions on work items', (group) => {
  group.each.setup(() => testUtils.db().truncate())

  test('approve records who approved, once, with an audit event', async ({ assert }) => {
    const item = await pendingItem()
    const reviewer = await UserFactory.apply('reviewer').create()

    await item.approve(reviewer, '192.0.2.7')
    await item.approve(await UserFactory.apply('admin').create())

    await item.refresh()
    assert.equal(item.approvedByUserId, reviewer.id)
    assert.isNotNull(item.approvedAt)
    const events = await AuditEvent.query().where('action', 'work_item.approved')
    assert.lengthOf(events, 1, 'approving again changes nothing')
    assert.equal(events[0].actorType, 'user')
    assert.equal(events[0].actorId, reviewer.id)
    assert.equal(events[0].ipAddress, '192.0.2.7')
  })

  test('cancel asks a running run to stop; completing it then ends the run as cancelled', async ({
    assert,
  }) => {
    const { run, item, agent } = await claimedRun()

    await item.cancel(await UserFactory.apply('maintainer').create())

    await run.refresh()
    assert.equal(item.status, 'cancelled')
    assert.equal(run.status, 'running')
    assert.isNotNull(run.cancelRequestedAt)

    const settled = await RunLifecycle.complete(run, agent, { outcome: 'succeeded' })
    assert.equal(settled.run.status, 'cancelled')
    assert.equal(settled.workItem.status, 'cancelled')
    assert.isNull(settled.run.gateStatus, 'a cancelled run is not judged by the gates')
  })

  test('cancel works from pending, blocked and verifying, and is refused once final', async ({
    assert,
  }) => {
    const user = await UserFactory.create()
    for (const status of ['pending', 'blocked', 'verifying'] as const) {
      const item = await pendingItem({ status })
      await item.cancel(user)
      assert.equal(item.status, 'cancelled', `from ${status}`)
    }
    const completed = await pendingItem({ status: 'completed' })
    await assert.rejects(() => completed.cancel(user), /already completed/)
    await completed.refresh()
    assert.equal(completed.status, 'completed')
  })

  test('requeue gives a failed or cancelled item fresh attempts and makes it claimable now', async ({
    assert,
  }) => {
    const user = await UserFactory.apply('maintainer').create()
    const failed = await pendingItem({
      status: 'failed',
      attempts: 3,
      runAfter: DateTime.now().plus({ hours: 1 }),
    })

    await failed.requeue(user)

    await failed.refresh()
    assert.equal(failed.status, 'pending')
    assert.equal(failed.attempts, 0)
    assert.isAtMost(failed.runAfter.toMillis(), Date.now())

    const running = await pendingItem({ status: 'in_progress' })
    await assert.rejects(() => running.requeue(user), /Only failed or cancelled/)
  })

  test('requeue waits for a cancelled run to stop, so no item ever runs twice', async ({
    assert,
  }) => {
    const { item, run, agent } = await claimedRun()
    const user = await UserFactory.apply('maintainer').create()
    await item.cancel(user)

    await assert.rejects(() => item.requeue(user), /still stopping/)
    await RunLifecycle.release(run, agent)
    await item.requeue(user)
    assert.equal(item.status, 'pending')
  })

  test('requeue as a step of the caller’s transaction (a reopened issue) says why, and rolls back with it', async ({
    assert,
  }) => {
    const item = await pendingItem({ status: 'cancelled' })
    const reason = 'GitHub issue #7 was reopened'

    await assert.rejects(() =>
      db.transaction(async (trx) => {
        await item.requeue('system', null, null, { client: trx, reason })
        throw new Error('the rest of the step failed')
      })
    )
    await item.refresh()
    assert.equal(item.status, 'cancelled')
    assert.lengthOf(await AuditEvent.query().where('action', 'work_item.requeued'), 0)

    await db.transaction((trx) => item.requeue('system', null, null, { client: trx, reason }))
    await item.refresh()
    assert.equal(item.status, 'pending')
    const [event] = await AuditEvent.query().where('action', 'work_item.requeued')
    assert.equal(event.actorType, 'system')
    assert.deepEqual(event.details, { reason, previous_status: 'cancelled', note: null })
  })

  test('block puts an item on hold with a reason; unblock returns it to pending', async ({
    assert,
  }) => {
    const item = await pendingItem()
    const user = await UserFactory.apply('maintainer').create()

    await item.block(user, 'waiting for the API key')
    assert.equal(item.status, 'blocked')
    const blocked = await AuditEvent.findByOrFail('action', 'work_item.blocked')
    assert.equal(blocked.details.reason, 'waiting for the API key')

    await item.unblock(user)
    await item.refresh()
    assert.equal(item.status, 'pending')
    await assert.rejects(() => item.unblock(user), /not blocked/)
  })

  test('reprioritise, pin and unpin change the item and leave an audit trail; unpinning twice records once', async ({
    assert,
  }) => {
    const item = await pendingItem()
    const user = await UserFactory.apply('maintainer').create()
    const agent = await AgentFactory.create()

    await item.reprioritise(user, 100)
    await item.pin(user, agent)
    await item.refresh()
    assert.equal(item.priority, 100)
    assert.equal(item.assignedAgentId, agent.id)

    await item.unpin(user)
    await item.unpin(user)
    await item.refresh()
    assert.isNull(item.assignedAgentId)
    const auditEvents = await AuditEvent.query().orderBy('id')
    const actions = auditEvents.map((event) => event.action)
    assert.deepEqual(actions, ['work_item.reprioritised', 'work_item.pinned', 'work_item.unpinned'])
  })
})
