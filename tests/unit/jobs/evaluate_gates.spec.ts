import { test } from '@japa/runner'
import testUtils from '@adonisjs/core/services/test_utils'
import { claimedRun } from '#tests/support/claimed_run'
import RunLifecycle from '#services/runs/run_lifecycle'
import Worker from '#infrastructure/worker'
import Run from '#models/run'

async function eventually<T>(probe: () => Promise<T | null>, timeoutMs: number): Promise<T | null> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    const value = await probe()
    if (value !== null) return value
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  return null
}

test.group('evaluate_gates with a real worker', (group) => {
  group.each.setup(() => testUtils.db().truncate())

  test('the job a completion enqueues runs after commit and fails the overdue gate', async ({
    assert,
  }) => {
    // A 1.2 s ci_timeout: the job the completion schedules for the deadline is due at once.
    const { run, agent, item } = await claimedRun({
      gates: { human_review: true },
      policies: { ci_timeout_minutes: 0.02 },
    })
    await RunLifecycle.complete(run, agent, { outcome: 'succeeded' })
    assert.equal(run.gateStatus, 'pending')

    const worker = await new Worker().start({ concurrency: 1, crontab: '' })
    try {
      const judged = await eventually(async () => {
        const fresh = await Run.findOrFail(run.id)
        return fresh.gateStatus === 'pending' ? null : fresh
      }, 15_000)
      assert.exists(judged, 'the worker evaluated the gates')
      assert.equal(judged!.gateStatus, 'failed')
      assert.deepEqual(
        judged!.gateResults.map((verdict) => [verdict.gate, verdict.verdict, verdict.reason]),
        [['human_review', 'failed', 'timed out']]
      )
      await item.refresh()
      assert.equal(item.status, 'pending')
    } finally {
      await worker.stop()
    }
  }).timeout(30_000)
})
