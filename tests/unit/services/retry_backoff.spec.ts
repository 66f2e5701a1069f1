import { test } from '@japa/runner'
import { DateTime } from 'luxon'
import testUtils from '@adonisjs/core/services/test_utils'
import { claimedRun } from '#tests/support/claimed_run'
import { retryBackoffSeconds } from '#models/work_item'
import RunLifecycle from '#services/runs/run_lifecycle'

test.group('Retry backoff (spec §2)', (group) => {
  group.each.setup(() => testUtils.db().truncate())

  test('starts at retry_backoff_seconds, doubles per attempt and stops at an hour', ({
    assert,
  }) => {
    assert.deepEqual(
      [1, 2, 3, 4].map((attempts) => retryBackoffSeconds(attempts, 30)),
      [30, 60, 120, 240]
    )
    assert.equal(retryBackoffSeconds(8, 30), 3600)
    assert.equal(retryBackoffSeconds(40, 30), 3600)
    assert.equal(retryBackoffSeconds(2, 0), 0)
  })

  test('run_after after a failure follows the attempt number and the project policy', async ({
    assert,
  }) => {
    const cases = [
      { attempts: 1, base: 30, expected: 30 },
      { attempts: 3, base: 30, expected: 120 },
      { attempts: 2, base: 10, expected: 20 },
      { attempts: 9, base: 30, expected: 3600 },
    ]
    for (const { attempts, base, expected } of cases) {
      const { run, agent, item } = await claimedRun({
        attempts,
        maxAttempts: 10,
        policies: { retry_backoff_seconds: base },
      })
      const before = DateTime.now()
      await RunLifecycle.complete(run, agent, { outcome: 'failed' })
      await item.refresh()
      assert.equal(item.status, 'pending')
      assert.closeTo(
        item.runAfter.diff(before, 'seconds').seconds,
        expected,
        2,
        `attempt ${attempts}`
      )
    }
  })
})
