import { test } from '@japa/runner'
import testUtils from '@adonisjs/core/services/test_utils'
import RunLog from '#models/run_log'
import { claimedRun } from '#tests/support/claimed_run'

test.group('RunLog', (group) => {
  group.each.setup(() => testUtils.db().truncate())

  test('a line keeps its level, stream and structured data, and belongs to its run', async ({
    assert,
  }) => {
    const { run } = await claimedRun()
    await run.appendLogs([
      {
        level: 'error',
        stream: 'stderr',
        message: 'boom',
        data: { exit_code: 2, files: ['a.ts'] },
      },
      { level: 'debug', message: 'plain' },
    ])

    const logs = await RunLog.query().where('runId', run.id).orderBy('seq').preload('run')
    assert.deepEqual(
      logs.map((log) => [log.level, log.stream, log.message, log.data]),
      [
        ['error', 'stderr', 'boom', { exit_code: 2, files: ['a.ts'] }],
        ['debug', null, 'plain', null],
      ]
    )
    assert.equal(logs[0].run.id, run.id)
  })
})
