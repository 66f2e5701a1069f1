import { test } from '@japa/runner'
import testUtils from '@adonisjs/core/services/test_utils'
import { claimedRun } from '#tests/support/claimed_run'
import { UserFactory } from '#database/factories/user_factory'

const line = { level: 'info', message: 'working' }

test.group('Gatehouse-Run-State on every run-scoped answer', (group) => {
  group.each.setup(() => testUtils.db().truncate())

  test('a running run says running on heartbeat, logs and GET', async ({ client, assert }) => {
    const { run, token } = await claimedRun()

    const beat = await client.post(`/api/v1/runs/${run.id}/heartbeat`).bearerToken(token)
    const logs = await client
      .post(`/api/v1/runs/${run.id}/logs`)
      .bearerToken(token)
      .json({ lines: [line] })
    const shown = await client.get(`/api/v1/runs/${run.id}`).bearerToken(token)

    for (const response of [beat, logs, shown]) {
      response.assertHeader('gatehouse-run-state', 'running')
      assert.equal(response.body().run_state, 'running')
    }
  })

  test('a cancel is seen through the logs call and the complete call, not only the heartbeat', async ({
    client,
    assert,
  }) => {
    const { run, item, token } = await claimedRun()
    await item.cancel(await UserFactory.apply('maintainer').create())

    const logs = await client
      .post(`/api/v1/runs/${run.id}/logs`)
      .bearerToken(token)
      .json({ first_seq: 1, lines: [line] })
    logs.assertStatus(202)
    logs.assertHeader('gatehouse-run-state', 'cancel_requested')
    assert.equal(logs.body().run_state, 'cancel_requested')

    const shown = await client.get(`/api/v1/runs/${run.id}`).bearerToken(token)
    shown.assertHeader('gatehouse-run-state', 'cancel_requested')

    const complete = await client
      .post(`/api/v1/runs/${run.id}/complete`)
      .bearerToken(token)
      .json({ outcome: 'succeeded' })
    complete.assertStatus(200)
    complete.assertHeader('gatehouse-run-state', 'finished')
    assert.equal(complete.body().run.run_state, 'finished')
    assert.equal(complete.body().run.status, 'cancelled')
  })

  test('a finished run’s refusals carry finished too', async ({ client }) => {
    const { run, token } = await claimedRun()
    await client
      .post(`/api/v1/runs/${run.id}/complete`)
      .bearerToken(token)
      .json({ outcome: 'failed' })

    const beat = await client.post(`/api/v1/runs/${run.id}/heartbeat`).bearerToken(token)
    beat.assertStatus(409)
    beat.assertHeader('gatehouse-run-state', 'finished')
    const logs = await client
      .post(`/api/v1/runs/${run.id}/logs`)
      .bearerToken(token)
      .json({ lines: [line] })
    logs.assertStatus(409)
    logs.assertHeader('gatehouse-run-state', 'finished')
  })
})
