import { test } from '@japa/runner'
import { DateTime } from 'luxon'
import pg from 'pg'
import db from '@adonisjs/lucid/services/db'
import testUtils from '@adonisjs/core/services/test_utils'
import { claimedRun, type ClaimedRun } from '#tests/support/claimed_run'
import { UserFactory } from '#database/factories/user_factory'
import { WorkItemFactory } from '#database/factories/work_item_factory'
import type { GatesConfig } from '#models/project'
import RunLifecycle, { type CompletionReport } from '#services/runs/run_lifecycle'
import DatabaseServer from '#infrastructure/database_server'
import { CLAIMABLE_CHANNEL } from '#infrastructure/claimable'
import AuditEvent from '#models/audit_event'
import { acceptGates } from '#services/runs/gates/accept_gates'
import type { AcceptGate } from '#services/runs/gates/accept_gate'

type Report = Omit<CompletionReport, 'outcome'>

async function succeed(gates: GatesConfig, report: Report = {}, policies = {}) {
  const world = await claimedRun({ gates, policies })
  await RunLifecycle.complete(world.run, world.agent, { outcome: 'succeeded', ...report })
  await world.item.refresh()
  return world
}

function verdicts({ run }: ClaimedRun) {
  return run.gateResults.map((verdict) => [verdict.gate, verdict.verdict, verdict.reason])
}

test.group('Accept gates', (group) => {
  group.each.setup(() => testUtils.db().truncate())

  test('tests_reported passes when the agent reported tests with zero failures', async ({
    assert,
  }) => {
    const world = await succeed({ tests_reported: true }, { tests: { passed: 3, failed: 0 } })
    assert.deepEqual(verdicts(world), [
      ['tests_reported', 'passed', '3 passed, 0 failed, 0 skipped'],
    ])
    assert.equal(world.run.gateStatus, 'passed')
    assert.equal(world.item.status, 'completed')
  })

  test('tests_reported fails on a failing test, and when no tests were reported', async ({
    assert,
  }) => {
    const failing = await succeed({ tests_reported: true }, { tests: { passed: 3, failed: 1 } })
    assert.deepEqual(verdicts(failing), [
      ['tests_reported', 'failed', '3 passed, 1 failed, 0 skipped'],
    ])
    assert.equal(failing.run.gateStatus, 'failed')
    assert.equal(failing.item.status, 'pending', 'the item retries')

    const silent = await succeed({ tests_reported: true })
    assert.deepEqual(verdicts(silent), [
      ['tests_reported', 'failed', 'the agent reported no tests'],
    ])
  })

  test('max_cost_usd passes at or under the limit and fails above it or without a cost', async ({
    assert,
  }) => {
    const within = await succeed({ max_cost_usd: 2 }, { costs: { usd: 2 } })
    assert.equal(within.run.gateStatus, 'passed')
    assert.equal(within.item.status, 'completed')

    const above = await succeed({ max_cost_usd: 2 }, { costs: { usd: 2.5 } })
    assert.deepEqual(verdicts(above), [
      ['max_cost_usd', 'failed', 'cost $2.5 exceeds the limit of $2'],
    ])
    assert.equal(above.item.status, 'pending')

    const unmetered = await succeed({ max_cost_usd: 2 })
    assert.deepEqual(verdicts(unmetered), [
      ['max_cost_usd', 'failed', 'the agent reported no cost'],
    ])
  })

  test('human_review waits for a reviewer, and an approval completes the item', async ({
    assert,
  }) => {
    const world = await succeed({ human_review: true })
    assert.equal(world.run.gateStatus, 'pending')
    assert.equal(world.item.status, 'verifying')

    const reviewer = await UserFactory.apply('reviewer').create()
    await RunLifecycle.review(world.run, reviewer, 'approved', 'looks right', '10.0.0.1')

    await world.run.refresh()
    await world.item.refresh()
    assert.deepEqual(verdicts(world), [['human_review', 'passed', 'approved by a reviewer']])
    assert.equal(world.run.gateStatus, 'passed')
    assert.equal(world.run.reviewedByUserId, reviewer.id)
    assert.equal(world.item.status, 'completed')
    const reviewed = await AuditEvent.findByOrFail('action', 'run.reviewed')
    assert.deepEqual(reviewed.details, { decision: 'approved', note: 'looks right' })
    assert.equal(reviewed.ipAddress, '10.0.0.1')
  })

  test('a human rejection rejects the run; the item retries with the reasons kept', async ({
    assert,
  }) => {
    const world = await succeed(
      { human_review: true, tests_reported: true },
      { tests: { passed: 1, failed: 0 } }
    )

    await RunLifecycle.review(world.run, await UserFactory.apply('reviewer').create(), 'rejected')

    await world.run.refresh()
    await world.item.refresh()
    assert.equal(world.run.gateStatus, 'failed')
    assert.deepEqual(verdicts(world), [
      ['tests_reported', 'passed', '1 passed, 0 failed, 0 skipped'],
      ['human_review', 'failed', 'rejected by a reviewer'],
    ])
    assert.equal(world.item.status, 'pending')
    const retry = await AuditEvent.findByOrFail('action', 'work_item.retry_scheduled')
    assert.include(retry.details.reason as string, 'human_review: rejected by a reviewer')
  })

  test('a run can be reviewed only while its gates are pending', async ({ assert }) => {
    const world = await succeed({})
    const reviewer = await UserFactory.apply('reviewer').create()
    await assert.rejects(
      () => RunLifecycle.review(world.run, reviewer, 'approved'),
      /not waiting for its gates/
    )
    await world.run.refresh()
    assert.isNull(world.run.reviewStatus)
  })

  test('a gate still pending after ci_timeout_minutes fails as timed out', async ({ assert }) => {
    const world = await succeed({ human_review: true }, {}, { ci_timeout_minutes: 30 })
    await db
      .from('runs')
      .where('id', world.run.id)
      .update({ finished_at: DateTime.now().minus({ minutes: 31 }).toJSDate() })

    await RunLifecycle.recheckPendingGates()

    await world.run.refresh()
    await world.item.refresh()
    assert.deepEqual(verdicts(world), [['human_review', 'failed', 'timed out']])
    assert.equal(world.run.gateStatus, 'failed')
    assert.equal(world.item.status, 'pending')
  })

  test('the periodic re-check goes on past a run whose evaluation keeps failing', async ({
    assert,
  }) => {
    const stuck = await succeed({ human_review: true }, {}, { ci_timeout_minutes: 30 })
    const other = await succeed({ human_review: true }, {}, { ci_timeout_minutes: 30 })
    const overdue = DateTime.now().minus({ minutes: 31 }).toJSDate()
    await db
      .from('runs')
      .whereIn('id', [stuck.run.id, other.run.id])
      .update({ finished_at: overdue })
    await db
      .from('runs')
      .where('id', stuck.run.id)
      .update({ gates_evaluated_at: DateTime.now().minus({ days: 1 }).toJSDate() })
    // The stuck run's verdict cannot be saved: a fault that would recur on every sweep.
    await db.rawQuery(
      `alter table runs add constraint test_stuck check (id <> ${stuck.run.id} or gate_status = 'pending') not valid`
    )
    try {
      const results = await RunLifecycle.recheckPendingGates()
      assert.deepEqual(results, [
        { runId: stuck.run.id, status: null },
        { runId: other.run.id, status: 'failed' },
      ])
    } finally {
      await db.rawQuery('alter table runs drop constraint test_stuck')
    }
    await other.run.refresh()
    assert.deepEqual(verdicts(other), [['human_review', 'failed', 'timed out']])
  })

  test('a fault that is not GitHub answering stays out of the verdict (it is shown in comments)', async ({
    assert,
    cleanup,
  }) => {
    const probe: AcceptGate = {
      name: 'probe',
      appliesTo: () => true,
      gatherFacts: async () => {
        throw new Error('connect ECONNREFUSED postgres://gatehouse:hunter2@10.0.0.5')
      },
      evaluate: (_run, { facts }) => {
        const found = facts?.get('probe')
        return {
          gate: 'probe',
          verdict: 'pending',
          reason: found && !found.ok ? found.reason : 'no facts',
        }
      },
    }
    acceptGates.push(probe)
    cleanup(() => void acceptGates.splice(acceptGates.indexOf(probe), 1))

    const world = await succeed({})
    await RunLifecycle.evaluateGates(world.run.id)
    await world.run.refresh()
    assert.deepEqual(verdicts(world), [
      ['probe', 'pending', 'GitHub could not be read (see the server logs)'],
    ])
  })

  test('a gate pending within ci_timeout_minutes stays pending on re-check', async ({ assert }) => {
    const world = await succeed({ human_review: true }, {}, { ci_timeout_minutes: 30 })
    await db
      .from('runs')
      .where('id', world.run.id)
      .update({ finished_at: DateTime.now().minus({ minutes: 29 }).toJSDate() })

    assert.deepEqual(await RunLifecycle.recheckPendingGates(), [
      { runId: world.run.id, status: 'pending' },
    ])
    await world.item.refresh()
    assert.equal(world.item.status, 'verifying')
  })

  test('a cancelled verifying item is no longer judged', async ({ assert }) => {
    const world = await succeed({ human_review: true })
    await world.item.cancel(await UserFactory.create())

    assert.deepEqual(await RunLifecycle.recheckPendingGates(), [])
    assert.equal(await RunLifecycle.evaluateGates(world.run.id), 'pending')
    await world.item.refresh()
    assert.equal(world.item.status, 'cancelled')
  })

  test('completing an item makes its dependant claimable, and says so on the claimable channel', async ({
    assert,
  }) => {
    const world = await claimedRun()
    const dependant = await WorkItemFactory.merge({ projectId: world.project.id }).create()
    await dependant.related('dependsOn').attach([world.item.id])

    const listener = new pg.Client({ connectionString: DatabaseServer.connectionString() })
    listener.on('error', () => {})
    await listener.connect()
    const announced: string[] = []
    listener.on('notification', (message) => announced.push(message.payload ?? ''))
    await listener.query(`listen ${CLAIMABLE_CHANNEL}`)
    try {
      await RunLifecycle.complete(world.run, world.agent, { outcome: 'succeeded' })
      await listener.query('select 1')
    } finally {
      await listener.end()
    }

    await dependant.refresh()
    await world.item.refresh()
    assert.equal(dependant.status, 'pending')
    assert.equal(world.item.status, 'completed')
    const claimable = await db
      .from('work_items')
      .where('id', dependant.id)
      .whereNotExists((query) =>
        query
          .from('work_item_dependencies')
          .join('work_items as dependency', 'dependency.id', 'work_item_dependencies.depends_on_id')
          .whereRaw('work_item_dependencies.work_item_id = work_items.id')
          .whereNot('dependency.status', 'completed')
      )
    assert.lengthOf(claimable, 1, 'every dependency of the dependant is completed')
    assert.include(announced, String(world.project.id))
  })
})
