import { test } from '@japa/runner'
import testUtils from '@adonisjs/core/services/test_utils'
import { claimedRun, tokenFor } from '#tests/support/claimed_run'
import { AgentFactory } from '#database/factories/agent_factory'
import RunLog from '#models/run_log'

const line = (message: string) => ({ level: 'info', message, stream: 'stdout' })

test.group('POST /api/v1/runs/:id/logs', (group) => {
  group.each.setup(() => testUtils.db().truncate())

  test('stores the lines with consecutive server-assigned seqs, batch after batch', async ({
    client,
    assert,
  }) => {
    const { run, token } = await claimedRun()

    const first = await client
      .post(`/api/v1/runs/${run.id}/logs`)
      .bearerToken(token)
      .json({
        lines: [
          line('cloning'),
          {
            level: 'warn',
            message: 'slow disk',
            data: { free_mb: 12 },
            logged_at: '2025-01-02T03:04:05Z',
          },
        ],
      })
    first.assertStatus(202)
    first.assertBody({ accepted: 2, last_seq: 2 })

    const second = await client
      .post(`/api/v1/runs/${run.id}/logs`)
      .bearerToken(token)
      .json({ lines: [line('testing'), { level: 'error', message: 'boom', stream: 'stderr' }] })
    second.assertBody({ accepted: 2, last_seq: 4 })

    const logs = await RunLog.query().where('runId', run.id).orderBy('seq')
    assert.deepEqual(
      logs.map((log) => [log.seq, log.level, log.stream, log.message]),
      [
        [1, 'info', 'stdout', 'cloning'],
        [2, 'warn', null, 'slow disk'],
        [3, 'info', 'stdout', 'testing'],
        [4, 'error', 'stderr', 'boom'],
      ]
    )
    assert.deepEqual(logs[1].data, { free_mb: 12 })
    assert.equal(logs[1].loggedAt.toUTC().toISO(), '2025-01-02T03:04:05.000Z')
  })

  test('concurrent batches never share or skip a seq', async ({ client, assert }) => {
    const { run, token } = await claimedRun()
    const batch = Array.from({ length: 50 }, (_, index) => line(`line ${index}`))

    const responses = await Promise.all(
      Array.from({ length: 8 }, () =>
        client.post(`/api/v1/runs/${run.id}/logs`).bearerToken(token).json({ lines: batch })
      )
    )

    assert.deepEqual(
      responses.map((response) => response.body().last_seq).sort((a, b) => a - b),
      [50, 100, 150, 200, 250, 300, 350, 400]
    )
    const runLogs = await RunLog.query().where('runId', run.id).orderBy('seq')
    const seqs = runLogs.map((log) => log.seq)
    assert.deepEqual(
      seqs,
      Array.from({ length: 400 }, (_, index) => index + 1)
    )
  })

  test('more than 1,000 lines is 413 and nothing is stored', async ({ client, assert }) => {
    const { run, token } = await claimedRun()

    const response = await client
      .post(`/api/v1/runs/${run.id}/logs`)
      .bearerToken(token)
      .json({ lines: Array.from({ length: 1001 }, () => line('x')) })

    response.assertStatus(413)
    response.assertHeader('content-type', 'application/problem+json; charset=utf-8')
    assert.lengthOf(await RunLog.query().where('runId', run.id), 0)
    await run.refresh()
    assert.equal(run.lastLogSeq, 0)
  })

  test('more than 1 MiB of lines is 413', async ({ client, assert }) => {
    const { run, token } = await claimedRun()
    const big = 'y'.repeat(300 * 1024)

    const response = await client
      .post(`/api/v1/runs/${run.id}/logs`)
      .bearerToken(token)
      .json({ lines: [line(big), line(big), line(big), line(big)] })

    response.assertStatus(413)
    await run.refresh()
    assert.equal(run.lastLogSeq, 0)
  })

  test('an unknown level is 422 per field; nothing is stored', async ({ client, assert }) => {
    const { run, token } = await claimedRun()

    const response = await client
      .post(`/api/v1/runs/${run.id}/logs`)
      .bearerToken(token)
      .json({ lines: [line('fine'), { level: 'loud', message: 'nope' }] })

    response.assertStatus(422)
    assert.deepEqual(
      response.body().errors.map((error: any) => [error.field, error.rule]),
      [['lines.1.level', 'enum']]
    )
    await run.refresh()
    assert.equal(run.lastLogSeq, 0)
  })

  test('a finished run takes no more lines (409); another agent’s run is 404', async ({
    client,
  }) => {
    const { run, token } = await claimedRun()
    await client
      .post(`/api/v1/runs/${run.id}/complete`)
      .bearerToken(token)
      .json({ outcome: 'failed' })

    const late = await client
      .post(`/api/v1/runs/${run.id}/logs`)
      .bearerToken(token)
      .json({ lines: [line('too late')] })
    late.assertStatus(409)

    const stranger = await tokenFor(await AgentFactory.create())
    const foreign = await client
      .post(`/api/v1/runs/${run.id}/logs`)
      .bearerToken(stranger)
      .json({ lines: [line('not mine')] })
    foreign.assertStatus(404)
  })
})
