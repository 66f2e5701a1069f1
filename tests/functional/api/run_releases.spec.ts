import { test } from '@japa/runner'
import testUtils from '@adonisjs/core/services/test_utils'
import { claimedRun, tokenFor } from '#tests/support/claimed_run'
import { AgentFactory } from '#database/factories/agent_factory'
import { UserFactory } from '#database/factories/user_factory'

test.group('POST /api/v1/runs/:id/release', (group) => {
  group.each.setup(() => testUtils.db().truncate())

  test('gives the item back to pending at once, and the attempt does not count', async ({
    client,
    assert,
  }) => {
    const { run, item, token } = await claimedRun({ attempts: 2 })

    const response = await client
      .post(`/api/v1/runs/${run.id}/release`)
      .bearerToken(token)
      .json({ reason: 'not my kind of work' })

    response.assertStatus(200)
    response.assertBodyContains({
      run: { id: run.id, status: 'released' },
      work_item: { id: item.id, status: 'pending' },
    })
    await item.refresh()
    assert.equal(item.attempts, 1)
    assert.isNull(item.lockedByAgentId)
    assert.isAtMost(item.runAfter.toMillis(), Date.now())
    await run.refresh()
    assert.isNotNull(run.finishedAt)
  })

  test('releasing twice answers the same; releasing a finished run is 409', async ({
    client,
    assert,
  }) => {
    const released = await claimedRun()
    await client.post(`/api/v1/runs/${released.run.id}/release`).bearerToken(released.token)
    const again = await client
      .post(`/api/v1/runs/${released.run.id}/release`)
      .bearerToken(released.token)
    again.assertStatus(200)
    await released.item.refresh()
    assert.equal(released.item.attempts, 0, 'the second release does not uncount another attempt')

    const failed = await claimedRun({ agent: released.agent })
    await client
      .post(`/api/v1/runs/${failed.run.id}/complete`)
      .bearerToken(released.token)
      .json({ outcome: 'failed' })
    const late = await client
      .post(`/api/v1/runs/${failed.run.id}/release`)
      .bearerToken(released.token)
    late.assertStatus(409)
  })

  test('a run asked to stop ends as cancelled and the cancelled item stays cancelled', async ({
    client,
    assert,
  }) => {
    const { run, item, token } = await claimedRun()
    await item.cancel(await UserFactory.apply('maintainer').create())

    const response = await client.post(`/api/v1/runs/${run.id}/release`).bearerToken(token)

    response.assertBodyContains({
      run: { status: 'cancelled' },
      work_item: { status: 'cancelled' },
    })
    await item.refresh()
    assert.equal(item.attempts, 1)
  })

  test('a reason that is not a string is 422; another agent’s run is 404', async ({ client }) => {
    const { run, token } = await claimedRun()
    const invalid = await client
      .post(`/api/v1/runs/${run.id}/release`)
      .bearerToken(token)
      .json({ reason: 42 })
    invalid.assertStatus(422)
    invalid.assertBodyContains({ errors: [{ field: 'reason' }] })

    const stranger = await tokenFor(await AgentFactory.create())
    const foreign = await client.post(`/api/v1/runs/${run.id}/release`).bearerToken(stranger)
    foreign.assertStatus(404)
  })
})
