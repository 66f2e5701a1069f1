import { test } from '@japa/runner'
import testUtils from '@adonisjs/core/services/test_utils'
import { claimedRun } from '#tests/support/claimed_run'
import RunLog from '#models/run_log'

test.group('Agent API: odd inputs', (group) => {
  group.each.setup(() => testUtils.db().truncate())

  test('a run id past the integer range is 404, not a server error', async ({ client }) => {
    const { token } = await claimedRun()
    for (const path of ['', '/heartbeat', '/logs', '/complete', '/release']) {
      const url = `/api/v1/runs/99999999999999999999${path}`
      const response =
        path === ''
          ? await client.get(url).bearerToken(token)
          : await client.post(url).bearerToken(token).json({})
      response.assertStatus(404)
      response.assertHeader('content-type', 'application/problem+json; charset=utf-8')
    }
  })

  test('a pr_number past the integer range is 422 on that field and changes nothing', async ({
    client,
    assert,
  }) => {
    const { run, token } = await claimedRun()
    const response = await client
      .post(`/api/v1/runs/${run.id}/complete`)
      .bearerToken(token)
      .json({ outcome: 'succeeded', pr_number: 1e12 })
    response.assertStatus(422)
    assert.deepEqual(
      response.body().errors.map((e: { field: string }) => e.field),
      ['pr_number']
    )
    await run.refresh()
    assert.equal(run.status, 'running')
  })

  test('NUL characters in text are 422 on their field, never a server error', async ({
    client,
    assert,
  }) => {
    const { run, token } = await claimedRun()
    const cases: [string, Record<string, unknown>, string][] = [
      ['logs', { lines: [{ level: 'info', message: 'a\u0000b' }] }, 'lines.0.message'],
      [
        'logs',
        { lines: [{ level: 'info', message: 'ok', data: { nested: ['x\u0000'] } }] },
        'lines.0.data.nested.0',
      ],
      ['heartbeat', { progress: 'half\u0000way' }, 'progress'],
      ['complete', { outcome: 'failed', error: 'bad\u0000' }, 'error'],
      ['complete', { outcome: 'failed', costs: { model: 'm\u0000' } }, 'costs.model'],
      ['release', { reason: 'r\u0000' }, 'reason'],
    ]
    for (const [path, body, field] of cases) {
      const response = await client
        .post(`/api/v1/runs/${run.id}/${path}`)
        .bearerToken(token)
        .json(body)
      response.assertStatus(422)
      assert.deepEqual(
        response.body().errors.map((e: { field: string }) => e.field),
        [field],
        path
      )
    }
    for (const body of [{ project: 'a\u0000' }, { work_types: ['a\u0000'] }]) {
      const response = await client.post('/api/v1/claims').bearerToken(token).json(body)
      response.assertStatus(422)
    }
    await run.refresh()
    assert.equal(run.status, 'running')
    assert.lengthOf(await RunLog.query().where('runId', run.id), 0)
  })
})

test.group('Agent API: forged tokens', (group) => {
  group.each.setup(() => testUtils.db().truncate())

  test('a token whose id part is not a token id is 401, not a server error', async ({ client }) => {
    await claimedRun()
    const id = (text: string) => Buffer.from(text).toString('base64url')
    const secret = Buffer.from('x'.repeat(40)).toString('base64url')
    for (const forged of [id('abc'), id('99999999999999999999'), id('1.5'), id('-1'), id('１')]) {
      const response = await client.get('/api/v1/agent').bearerToken(`gha_${forged}.${secret}`)
      response.assertStatus(401)
      response.assertHeader('content-type', 'application/problem+json; charset=utf-8')
    }
  })
})
