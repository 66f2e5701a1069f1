import { test } from '@japa/runner'
import db from '@adonisjs/lucid/services/db'
import type { ApiClient } from '@japa/api-client'
import Run from '#models/run'
import pruneRetainedData from '#jobs/prune_retained_data'
import { emptyWorld } from '#tests/support/test_database'
import { ProjectFactory } from '#database/factories/project_factory'
import { WorkItemFactory } from '#database/factories/work_item_factory'
import { AgentFactory } from '#database/factories/agent_factory'
import { agentWithToken } from '#tests/support/claimed_run'

const KEY = '5f0c1f8e-9a56-4c8f-8d3e-1b2f3a4b5c6d'

function claim(client: ApiClient, token: string, key: string, body: Record<string, unknown> = {}) {
  return client.post('/api/v1/claims').bearerToken(token).header('Idempotency-Key', key).json(body)
}

test.group('Idempotency-Key', (group) => {
  group.each.setup(() => emptyWorld())
  // The next spec file may read every row (Lucid's truncate cleans only after its own tests).
  group.teardown(() => emptyWorld())

  test('a claim whose answer was lost, retried with its key, returns the same run', async ({
    client,
    assert,
  }) => {
    const project = await ProjectFactory.create()
    await WorkItemFactory.apply('due').merge({ projectId: project.id, title: 'first' }).create()
    await WorkItemFactory.apply('due').merge({ projectId: project.id, title: 'second' }).create()
    const { token } = await agentWithToken(AgentFactory.merge({ maxConcurrency: 2 }).create())

    const first = await claim(client, token, KEY)
    first.assertStatus(201)
    const retry = await claim(client, token, KEY)
    retry.assertStatus(201)
    retry.assertHeader('idempotent-replayed', 'true')
    assert.deepEqual(retry.body(), first.body())
    assert.lengthOf(await Run.all(), 1)

    // Another key is another claim.
    const next = await claim(client, token, 'another-key')
    next.assertStatus(201)
    assert.notEqual(next.body().run.id, first.body().run.id)
    assert.lengthOf(await Run.all(), 2)
  })

  test('a key is its token’s: another agent’s same key claims afresh', async ({
    client,
    assert,
  }) => {
    const project = await ProjectFactory.create()
    await WorkItemFactory.apply('due').merge({ projectId: project.id }).create()
    await WorkItemFactory.apply('due').merge({ projectId: project.id }).create()
    const one = await agentWithToken(AgentFactory.create())
    const two = await agentWithToken(AgentFactory.create())

    const a = await claim(client, one.token, KEY)
    const b = await claim(client, two.token, KEY)
    a.assertStatus(201)
    b.assertStatus(201)
    assert.notEqual(a.body().run.id, b.body().run.id)
  })

  test('a complete retried with its key gets the same answer without doing it again', async ({
    client,
    assert,
  }) => {
    const project = await ProjectFactory.create()
    await WorkItemFactory.apply('due').merge({ projectId: project.id }).create()
    const { token } = await agentWithToken(AgentFactory.create())
    const claimed = await claim(client, token, KEY)
    const runId = claimed.body().run.id
    const report = { outcome: 'succeeded', summary: 'done' }

    const complete = () =>
      client
        .post(`/api/v1/runs/${runId}/complete`)
        .bearerToken(token)
        .header('Idempotency-Key', 'complete-1')
        .json(report)
    const first = await complete()
    first.assertStatus(200)
    const auditsAfterFirst = await db.from('audit_events').count('* as n')
    const retry = await complete()
    retry.assertStatus(200)
    retry.assertHeader('idempotent-replayed', 'true')
    assert.deepEqual(retry.body(), first.body())
    assert.deepEqual(await db.from('audit_events').count('* as n'), auditsAfterFirst)
  })

  test('a key reused with another body is 422 and changes nothing', async ({ client, assert }) => {
    const project = await ProjectFactory.merge({ slug: 'shop' }).create()
    await WorkItemFactory.apply('due').merge({ projectId: project.id }).create()
    const { token } = await agentWithToken(AgentFactory.merge({ maxConcurrency: 2 }).create())
    await claim(client, token, KEY, { project: 'shop' })

    const reused = await claim(client, token, KEY, { project: 'other' })
    reused.assertStatus(422)
    reused.assertHeader('content-type', 'application/problem+json; charset=utf-8')
    assert.equal(reused.body().type, 'https://gatehouse.dev/problems/idempotency-key-reused')
    assert.lengthOf(await Run.all(), 1)
  })

  test('an answer that is not a success is not stored: the retry asks again', async ({
    client,
    assert,
  }) => {
    const project = await ProjectFactory.create()
    const { token } = await agentWithToken(AgentFactory.create())

    const refused = await claim(client, token, KEY, { wait_seconds: 99 })
    refused.assertStatus(422)
    const nothing = await claim(client, token, KEY)
    nothing.assertStatus(204)
    await WorkItemFactory.apply('due').merge({ projectId: project.id }).create()
    // 204 was a success: stored and replayed for this key, a new key claims the new item.
    const replayed = await claim(client, token, KEY)
    replayed.assertStatus(204)
    const fresh = await claim(client, token, 'fresh')
    fresh.assertStatus(201)
    assert.lengthOf(await Run.all(), 1)
  })

  test('a malformed key is 400', async ({ client }) => {
    const { token } = await agentWithToken(AgentFactory.create())
    const response = await claim(client, token, 'has spaces in it')
    response.assertStatus(400)
  })

  test('keys are forgotten after 24 h by the pruning job, and an expired key is free again', async ({
    client,
    assert,
  }) => {
    const project = await ProjectFactory.create()
    for (let i = 0; i < 3; i++)
      await WorkItemFactory.apply('due').merge({ projectId: project.id }).create()
    const { token } = await agentWithToken(AgentFactory.merge({ maxConcurrency: 3 }).create())
    await claim(client, token, KEY)
    await claim(client, token, 'recent')
    await db
      .from('idempotency_keys')
      .where('key', KEY)
      .update({ created_at: db.raw(`now() - interval '25 hours'`) })

    const again = await claim(client, token, KEY)
    again.assertStatus(201)
    assert.lengthOf(await Run.all(), 3, 'the expired key claimed afresh')

    await db
      .from('idempotency_keys')
      .where('key', 'recent')
      .update({ created_at: db.raw(`now() - interval '25 hours'`) })
    await pruneRetainedData({})
    const keys = await db.from('idempotency_keys').orderBy('key').select('key')
    assert.deepEqual(
      keys.map((row) => row.key),
      [KEY]
    )
  })
})
