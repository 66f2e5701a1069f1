import { test } from '@japa/runner'

test.group('Health', () => {
  test('GET /health answers 200 while the process is alive', async ({ client }) => {
    const response = await client.get('/health')
    response.assertStatus(200)
    response.assertBody({ status: 'ok' })
  })

  test('GET /health/ready reports the database and the job queue schema', async ({
    client,
    assert,
  }) => {
    const response = await client.get('/health/ready')
    response.assertStatus(200)
    const checks = response
      .body()
      .checks.map((check: { name: string; status: string }) => [check.name, check.status])
    assert.deepEqual(checks, [
      ['Database health check (postgres)', 'ok'],
      ['Job queue schema', 'ok'],
    ])
    assert.notProperty(
      response.body(),
      'debugInfo',
      'no pid, versions or uptime for anyone who asks'
    )
  })
})
