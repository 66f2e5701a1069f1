import { test } from '@japa/runner'
import type { ApiClient } from '@japa/api-client'
import db from '@adonisjs/lucid/services/db'
import Policy from '#models/policy'
import WorkItem from '#models/work_item'
import { emptyWorld } from '#tests/support/test_database'
import { ProjectFactory } from '#database/factories/project_factory'
import { WorkItemFactory } from '#database/factories/work_item_factory'
import { AgentFactory } from '#database/factories/agent_factory'
import { agentWithToken } from '#tests/support/claimed_run'

function claim(client: ApiClient, token: string) {
  return client.post('/api/v1/claims').bearerToken(token).json({})
}

/** Agent A claims the only item and reports success with a failing test: the tests_reported gate rejects it. */
async function rejectedOnce(client: ApiClient, policies: Record<string, unknown> = {}) {
  const project = await ProjectFactory.merge({ gatesConfig: { tests_reported: true } }).create()
  for (const [key, value] of Object.entries(policies))
    await Policy.create({ projectId: project.id, key, value })
  const item = await WorkItemFactory.apply('due').merge({ projectId: project.id }).create()
  const first = await agentWithToken(AgentFactory.create())
  const second = await agentWithToken(AgentFactory.create())
  const claimed = await claim(client, first.token)
  claimed.assertStatus(201)
  const completed = await client
    .post(`/api/v1/runs/${claimed.body().run.id}/complete`)
    .bearerToken(first.token)
    .json({ outcome: 'succeeded', tests: { passed: 1, failed: 1 } })
  completed.assertStatus(200)
  // The backoff is not under test: claimable again at once.
  await db
    .from('work_items')
    .where('id', item.id)
    .update({ run_after: db.raw('now()') })
  await item.refresh()
  return { item, first, second }
}

test.group('Retry affinity', (group) => {
  group.each.setup(() => emptyWorld())

  test('a rejected item goes to the agent whose attempt was rejected; another agent only after the window', async ({
    client,
    assert,
  }) => {
    const { item, first, second } = await rejectedOnce(client)
    assert.equal(item.status, 'pending')
    assert.equal(item.affinityAgentId, first.agent.id)
    // The default 300 s, counted from the end of the 30 s backoff (run_after before the test moved it).
    assert.closeTo(item.affinityUntil!.diffNow('seconds').seconds, 330, 5)

    const other = await claim(client, second.token)
    other.assertStatus(204)

    const same = await claim(client, first.token)
    same.assertStatus(201)
    assert.equal(same.body().work_item.id, item.id)
    assert.equal(same.body().run.attempt, 2)
    assert.equal(same.body().feedback.attempts[0].outcome, 'rejected')
  })

  test('once the window has passed, any agent may claim the item', async ({ client, assert }) => {
    const { item, second } = await rejectedOnce(client)
    await db
      .from('work_items')
      .where('id', item.id)
      .update({ affinity_until: db.raw("now() - interval '1 second'") })

    const other = await claim(client, second.token)
    other.assertStatus(201)
    assert.equal(other.body().work_item.id, item.id)
    assert.equal(other.body().feedback.attempts[0].outcome, 'rejected', 'the feedback travels too')
  })

  test('retry_affinity_seconds 0 turns it off; an agent-reported failure sets none', async ({
    client,
    assert,
  }) => {
    const { item } = await rejectedOnce(client, { retry_affinity_seconds: 0 })
    assert.isNull(item.affinityAgentId)
    assert.isNull(item.affinityUntil)

    const project = await ProjectFactory.create()
    const failing = await WorkItemFactory.apply('due').merge({ projectId: project.id }).create()
    const agent = await agentWithToken(AgentFactory.create())
    const claimed = await claim(client, agent.token)
    assert.equal(claimed.body().work_item.id, failing.id)
    await client
      .post(`/api/v1/runs/${claimed.body().run.id}/complete`)
      .bearerToken(agent.token)
      .json({ outcome: 'failed', error: 'tests failed' })
    const after = await WorkItem.findOrFail(failing.id)
    assert.equal(after.status, 'pending')
    assert.isNull(after.affinityAgentId)
  })

  test('releasing the item clears the affinity', async ({ client, assert }) => {
    const { item, first, second } = await rejectedOnce(client)
    const again = await claim(client, first.token)
    again.assertStatus(201)
    const released = await client
      .post(`/api/v1/runs/${again.body().run.id}/release`)
      .bearerToken(first.token)
      .json({ reason: 'not for me' })
    released.assertStatus(200)
    await item.refresh()
    assert.isNull(item.affinityAgentId)
    const other = await claim(client, second.token)
    other.assertStatus(201)
  })
})
