import { test } from '@japa/runner'
import { DateTime } from 'luxon'
import testUtils from '@adonisjs/core/services/test_utils'
import { claimedRun } from '#tests/support/claimed_run'
import { UserFactory } from '#database/factories/user_factory'
import RunReaper from '#services/runs/run_reaper'
import AuditEvent from '#models/audit_event'
import db from '@adonisjs/lucid/services/db'

test.group('RunReaper', (group) => {
  group.each.setup(() => testUtils.db().truncate())

  test('a run whose lease expired times out and its item retries after the backoff', async ({
    assert,
  }) => {
    const { run, item } = await claimedRun({ leaseExpiresAt: DateTime.now().minus({ seconds: 1 }) })

    const reaped = await RunReaper.reap()

    assert.deepEqual(reaped, [
      { runId: run.id, workItemId: item.id, reason: 'lease_expired', workItemStatus: 'pending' },
    ])
    await run.refresh()
    await item.refresh()
    assert.equal(run.status, 'timed_out')
    assert.equal(run.error, 'lease expired')
    assert.isNotNull(run.finishedAt)
    assert.equal(item.status, 'pending')
    assert.isNull(item.lockedByAgentId)
    assert.closeTo(item.runAfter.diffNow('seconds').seconds, 30, 2)
    const event = await AuditEvent.findByOrFail('action', 'run.timed_out')
    assert.equal(event.actorType, 'system')

    // Long-polling claimers are woken when the backoff ends, by a job due at run_after.
    const { rows } = await db.rawQuery(
      `select run_at, payload from graphile_worker._private_jobs where key = ?`,
      [`announce_claimable:${item.id}`]
    )
    assert.lengthOf(rows, 1)
    assert.deepEqual(rows[0].payload, { projectId: item.projectId })
    assert.closeTo(new Date(rows[0].run_at).getTime(), item.runAfter.toMillis(), 1000)
  })

  test('a run past max_run_seconds times out even while it heartbeats', async ({ assert }) => {
    const { run } = await claimedRun({
      policies: { max_run_seconds: 60 },
      startedAt: DateTime.now().minus({ seconds: 61 }),
    })

    const reaped = await RunReaper.reap()

    assert.deepEqual(
      reaped.map((entry) => entry.reason),
      ['max_run_time']
    )
    await run.refresh()
    assert.equal(run.status, 'timed_out')
    assert.equal(run.error, 'max run time passed')
  })

  test('a run with a live lease within its max run time is left alone', async ({ assert }) => {
    const { run } = await claimedRun({ startedAt: DateTime.now().minus({ hours: 3 }) })

    assert.deepEqual(await RunReaper.reap(), [])
    await run.refresh()
    assert.equal(run.status, 'running')
  })

  test('timing out the last attempt fails the item', async ({ assert }) => {
    const { item } = await claimedRun({
      attempts: 3,
      leaseExpiresAt: DateTime.now().minus({ minutes: 1 }),
    })

    await RunReaper.reap()

    await item.refresh()
    assert.equal(item.status, 'failed')
  })

  test('an expired run that was asked to stop ends as cancelled; its item stays cancelled', async ({
    assert,
  }) => {
    const { run, item } = await claimedRun({ leaseExpiresAt: DateTime.now().minus({ seconds: 1 }) })
    await item.cancel(await UserFactory.create())

    await RunReaper.reap()

    await run.refresh()
    await item.refresh()
    assert.equal(run.status, 'cancelled')
    assert.equal(item.status, 'cancelled')
  })
})
