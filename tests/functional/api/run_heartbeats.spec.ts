import { test } from '@japa/runner'
import { DateTime } from 'luxon'
import testUtils from '@adonisjs/core/services/test_utils'
import { claimedRun, tokenFor } from '#tests/support/claimed_run'
import { AgentFactory } from '#database/factories/agent_factory'
import { UserFactory } from '#database/factories/user_factory'
import RunReaper from '#services/runs/run_reaper'

test.group('POST /api/v1/runs/:id/heartbeat', (group) => {
  group.each.setup(() => testUtils.db().truncate())

  test('extends the lease by the project lease_seconds and keeps the progress note', async ({
    client,
    assert,
  }) => {
    const { run, token } = await claimedRun({
      policies: { lease_seconds: 120 },
      leaseExpiresAt: DateTime.now().plus({ seconds: 5 }),
    })

    const response = await client
      .post(`/api/v1/runs/${run.id}/heartbeat`)
      .bearerToken(token)
      .json({ progress: 'running the tests' })

    response.assertStatus(200)
    assert.deepEqual(Object.keys(response.body()).sort(), [
      'cancel_requested',
      'lease_expires_at',
      'run_state',
    ])
    assert.isFalse(response.body().cancel_requested)
    assert.match(response.body().lease_expires_at, /Z$/, 'times are UTC, as in the claim answer')
    const lease = DateTime.fromISO(response.body().lease_expires_at)
    assert.closeTo(lease.diffNow('seconds').seconds, 120, 5)
    await run.refresh()
    assert.equal(run.progress, 'running the tests')
    assert.isNotNull(run.heartbeatAt)
    assert.closeTo(run.leaseExpiresAt.toMillis(), lease.toMillis(), 1)
  })

  test('after a human cancels the item, the next heartbeat says cancel_requested', async ({
    client,
    assert,
  }) => {
    const { run, item, token } = await claimedRun()
    await item.cancel(await UserFactory.apply('maintainer').create())

    const response = await client.post(`/api/v1/runs/${run.id}/heartbeat`).bearerToken(token)

    response.assertStatus(200)
    assert.isTrue(response.body().cancel_requested)
  })

  test('a late agent whose lease expired and was reaped gets 409: it must stop', async ({
    client,
    assert,
  }) => {
    const { run, item, token } = await claimedRun({
      leaseExpiresAt: DateTime.now().minus({ seconds: 1 }),
    })
    await RunReaper.reap()

    const response = await client.post(`/api/v1/runs/${run.id}/heartbeat`).bearerToken(token)

    response.assertStatus(409)
    response.assertHeader('content-type', 'application/problem+json; charset=utf-8')
    assert.include(response.body().detail, 'timed_out')
    await item.refresh()
    assert.equal(item.status, 'pending')
  })

  test('a run of another agent is 404, and so is a run that does not exist', async ({ client }) => {
    const { run } = await claimedRun()
    const stranger = await tokenFor(await AgentFactory.create())

    const foreign = await client.post(`/api/v1/runs/${run.id}/heartbeat`).bearerToken(stranger)
    foreign.assertStatus(404)
    foreign.assertBodyContains({ status: 404 })
    const missing = await client.post(`/api/v1/runs/999999/heartbeat`).bearerToken(stranger)
    missing.assertStatus(404)
  })

  test('without a valid token it is 401; a disabled agent’s run in flight still heartbeats', async ({
    client,
  }) => {
    const { run, agent, token } = await claimedRun()

    const anonymous = await client.post(`/api/v1/runs/${run.id}/heartbeat`)
    anonymous.assertStatus(401)
    const forged = await client
      .post(`/api/v1/runs/${run.id}/heartbeat`)
      .bearerToken('gha_nope.nope')
    forged.assertStatus(401)

    agent.enabled = false
    await agent.save()
    const disabled = await client.post(`/api/v1/runs/${run.id}/heartbeat`).bearerToken(token)
    disabled.assertStatus(200)
  })

  test('a progress that is not a string is 422 per field, and the lease is untouched', async ({
    client,
    assert,
  }) => {
    const { run, token } = await claimedRun()
    const before = run.leaseExpiresAt

    const response = await client
      .post(`/api/v1/runs/${run.id}/heartbeat`)
      .bearerToken(token)
      .json({ progress: { percent: 50 } })

    response.assertStatus(422)
    assert.equal(response.body().errors[0].field, 'progress')
    await run.refresh()
    assert.equal(run.leaseExpiresAt.toMillis(), before.toMillis())
    assert.isNull(run.heartbeatAt)
  })
})
