import { test } from '@japa/runner'
import { DateTime } from 'luxon'
import testUtils from '@adonisjs/core/services/test_utils'
import recheckGates from '#jobs/recheck_gates'
import Run from '#models/run'
import RunLifecycle from '#services/runs/run_lifecycle'
import { claimedRun } from '#tests/support/claimed_run'
import { discardQueuedJobs } from '#tests/support/queued_jobs'

/** A run that reported success and waits for a human review, finished `minutesAgo`. */
async function waitingForReview(minutesAgo: number) {
  const world = await claimedRun({
    gates: { human_review: true },
    policies: { ci_timeout_minutes: 30 },
  })
  await RunLifecycle.complete(world.run, world.agent, { outcome: 'succeeded' })
  await Run.query()
    .where('id', world.run.id)
    .update({ finishedAt: DateTime.now().minus({ minutes: minutesAgo }).toJSDate() })
  return world
}

test.group('recheck_gates job', (group) => {
  group.each.setup(async () => {
    // Lucid's truncate empties the tables after the test, through the function it answers.
    const truncate = await testUtils.db().truncate()
    return async () => {
      await truncate()
      await discardQueuedJobs()
    }
  })

  test('fails the gates of a run waiting past ci_timeout_minutes and retries its item; a run still in time keeps waiting', async ({
    assert,
  }) => {
    const overdue = await waitingForReview(31)
    const inTime = await waitingForReview(5)

    await recheckGates()

    await overdue.run.refresh()
    await overdue.item.refresh()
    assert.equal(overdue.run.gateStatus, 'failed')
    assert.deepEqual(
      overdue.run.gateResults.map((verdict) => [verdict.gate, verdict.verdict, verdict.reason]),
      [['human_review', 'failed', 'timed out']]
    )
    assert.equal(overdue.item.status, 'pending', 'the item gets its next attempt')
    await inTime.run.refresh()
    await inTime.item.refresh()
    assert.equal(inTime.run.gateStatus, 'pending')
    assert.equal(inTime.item.status, 'verifying')
  })

  test('a second sweep judges nothing twice', async ({ assert }) => {
    const overdue = await waitingForReview(31)
    await recheckGates()
    await overdue.run.refresh()
    const judgedAt = overdue.run.gatesEvaluatedAt?.toMillis()

    await recheckGates()

    await overdue.run.refresh()
    await overdue.item.refresh()
    assert.equal(overdue.run.gateStatus, 'failed')
    assert.equal(overdue.run.gatesEvaluatedAt?.toMillis(), judgedAt)
    assert.equal(overdue.item.status, 'pending')
    assert.equal(overdue.item.attempts, 1)
  })
})
