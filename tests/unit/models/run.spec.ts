import { test } from '@japa/runner'
import { DateTime } from 'luxon'
import testUtils from '@adonisjs/core/services/test_utils'
import Run from '#models/run'
import LogGap from '#exceptions/log_gap'
import InvalidTransition from '#exceptions/invalid_transition'
import { AgentFactory } from '#database/factories/agent_factory'
import { claimedRun } from '#tests/support/claimed_run'

const line = (message: string) => ({ level: 'info' as const, message })

test.group('Run', (group) => {
  group.each.setup(() => testUtils.db().truncate())

  test('a heartbeat extends the lease by lease_seconds and keeps the progress note; a finished run refuses it', async ({
    assert,
  }) => {
    const { run } = await claimedRun({
      policies: { lease_seconds: 600 },
      leaseExpiresAt: DateTime.now().plus({ seconds: 5 }),
    })

    await run.heartbeat('tests pass')
    await run.refresh()
    assert.equal(run.progress, 'tests pass')
    assert.isAbove(run.leaseExpiresAt!.toMillis(), Date.now() + 590_000)
    await run.heartbeat()
    await run.refresh()
    assert.equal(run.progress, 'tests pass', 'no note: the last one stays')

    await run.merge({ status: 'timed_out', finishedAt: DateTime.now() }).save()
    await assert.rejects(() => run.heartbeat(), InvalidTransition)
  })

  test('log batches get consecutive seqs; a batch sent again stores nothing, one leaving a gap is refused', async ({
    assert,
  }) => {
    const { run } = await claimedRun()

    assert.deepEqual(await run.appendLogs([line('a'), line('b')]), { accepted: 2, lastSeq: 2 })
    assert.deepEqual(await run.appendLogsFrom(3, [line('c')]), { accepted: 1, lastSeq: 3 })
    assert.deepEqual(await run.appendLogsFrom(3, [line('c')]), { accepted: 0, lastSeq: 3 })
    await assert.rejects(() => run.appendLogsFrom(9, [line('x')]), LogGap)

    const logs = await run.related('logs').query().orderBy('seq')
    assert.deepEqual(
      logs.map((log) => [log.seq, log.message]),
      [
        [1, 'a'],
        [2, 'b'],
        [3, 'c'],
      ]
    )
  })

  test('another agent’s run is as invisible as one that does not exist', async ({ assert }) => {
    const { run, agent } = await claimedRun()
    const stranger = await AgentFactory.create()

    const found = await Run.findForAgentOrFail(agent, run.id)
    assert.equal(found.id, run.id)
    await assert.rejects(() => Run.findForAgentOrFail(stranger, run.id))
    await assert.rejects(() => Run.findForAgentOrFail(agent, 2 ** 40))
    assert.isNull(await Run.currentState(stranger.id, run.id))
  })
})
