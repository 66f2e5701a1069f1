import { test } from '@japa/runner'
import { DateTime } from 'luxon'
import testUtils from '@adonisjs/core/services/test_utils'
import { claimedRun } from '#tests/support/claimed_run'
import RunsReap from '#commands/runs_reap'
import { keepCommandOutput, runCommand } from '#tests/support/ace_commands'

test.group('runs:reap', (group) => {
  group.each.setup(() => testUtils.db().truncate())
  keepCommandOutput(group)

  test('times out expired runs once and prints what it reaped', async ({ assert }) => {
    const { run, item } = await claimedRun({ leaseExpiresAt: DateTime.now().minus({ minutes: 2 }) })
    await claimedRun()

    const command = await runCommand(RunsReap)

    command.assertSucceeded()
    command.assertTableRows([[String(run.id), String(item.id), 'lease_expired', 'pending']])
    command.assertLog('[ green(success) ] Reaped 1 run(s)')
    await run.refresh()
    assert.equal(run.status, 'timed_out')
  })

  test('says so when there is nothing to reap', async () => {
    await claimedRun()
    const command = await runCommand(RunsReap)
    command.assertLog('[ blue(info) ] No run to reap')
  })
})
