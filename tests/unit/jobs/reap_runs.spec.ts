import { test } from '@japa/runner'
import { DateTime } from 'luxon'
import testUtils from '@adonisjs/core/services/test_utils'
import reapRuns from '#jobs/reap_runs'
import { claimedRun } from '#tests/support/claimed_run'

test.group('reap_runs job', (group) => {
  group.each.setup(() => testUtils.db().truncate())

  test('times out a run whose lease expired and gives its item back; live runs go on', async ({
    assert,
  }) => {
    const expired = await claimedRun({ leaseExpiresAt: DateTime.now().minus({ minutes: 2 }) })
    const live = await claimedRun()

    await reapRuns()

    await expired.run.refresh()
    await expired.item.refresh()
    assert.equal(expired.run.status, 'timed_out')
    assert.equal(expired.item.status, 'pending')
    await live.run.refresh()
    assert.equal(live.run.status, 'running')
  })
})
