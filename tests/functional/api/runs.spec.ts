import { test } from '@japa/runner'
import testUtils from '@adonisjs/core/services/test_utils'
import { claimedRun, tokenFor } from '#tests/support/claimed_run'
import { AgentFactory } from '#database/factories/agent_factory'
import { UserFactory } from '#database/factories/user_factory'

test.group('GET /api/v1/runs/:id', (group) => {
  group.each.setup(() => testUtils.db().truncate())

  test('shows the agent its run with gate_status, gate_results and cancel_requested', async ({
    client,
    assert,
  }) => {
    const { run, token } = await claimedRun({ gates: { human_review: true } })

    const running = await client.get(`/api/v1/runs/${run.id}`).bearerToken(token)
    running.assertStatus(200)
    running.assertBodyContains({
      id: run.id,
      status: 'running',
      attempt: 1,
      gate_status: null,
      gate_results: [],
      cancel_requested: false,
    })
    assert.match(running.body().started_at, /Z$/, 'times are UTC')
    assert.match(running.body().lease_expires_at, /Z$/)

    await client
      .post(`/api/v1/runs/${run.id}/complete`)
      .bearerToken(token)
      .json({ outcome: 'succeeded' })
    const verifying = await client.get(`/api/v1/runs/${run.id}`).bearerToken(token)
    verifying.assertBodyContains({ status: 'succeeded', gate_status: 'pending' })
    assert.deepEqual(
      verifying.body().gate_results.map((verdict: any) => [verdict.gate, verdict.verdict]),
      [['human_review', 'pending']]
    )
  })

  test('a cancelled item shows cancel_requested on its running run', async ({ client }) => {
    const { run, item, token } = await claimedRun()
    await item.cancel(await UserFactory.apply('maintainer').create())

    const response = await client.get(`/api/v1/runs/${run.id}`).bearerToken(token)
    response.assertBodyContains({ status: 'running', cancel_requested: true })
  })

  test('another agent’s run is 404; no token is 401', async ({ client }) => {
    const { run } = await claimedRun()
    const stranger = await tokenFor(await AgentFactory.create())

    const foreign = await client.get(`/api/v1/runs/${run.id}`).bearerToken(stranger)
    foreign.assertStatus(404)
    foreign.assertHeader('content-type', 'application/problem+json; charset=utf-8')
    const missing = await client.get(`/api/v1/runs/424242`).bearerToken(stranger)
    missing.assertStatus(404)
    const notANumber = await client.get(`/api/v1/runs/abc`).bearerToken(stranger)
    notANumber.assertStatus(404)
    const anonymous = await client.get(`/api/v1/runs/${run.id}`)
    anonymous.assertStatus(401)
  })
})
