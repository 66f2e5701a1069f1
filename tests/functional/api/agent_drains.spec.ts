import { test } from '@japa/runner'
import db from '@adonisjs/lucid/services/db'
import type { ApiClient } from '@japa/api-client'
import AuditEvent from '#models/audit_event'
import Run from '#models/run'
import { emptyWorld } from '#tests/support/test_database'
import { ProjectFactory } from '#database/factories/project_factory'
import { WorkItemFactory } from '#database/factories/work_item_factory'
import { AgentFactory } from '#database/factories/agent_factory'
import { agentWithToken } from '#tests/support/claimed_run'

const claim = (client: ApiClient, token: string) =>
  client.post('/api/v1/claims').bearerToken(token).json({})

test.group('Drain and disabled agents', (group) => {
  group.each.setup(() => emptyWorld())
  // The next spec file may read every row (Lucid's truncate cleans only after its own tests).
  group.teardown(() => emptyWorld())

  test('a draining agent finishes its running work and claims nothing new (409 draining)', async ({
    client,
    assert,
  }) => {
    const project = await ProjectFactory.create()
    await WorkItemFactory.apply('due').merge({ projectId: project.id }).create()
    await WorkItemFactory.apply('due').merge({ projectId: project.id }).create()
    const { agent, token } = await agentWithToken(
      AgentFactory.merge({ maxConcurrency: 2 }).create()
    )
    const claimed = await claim(client, token)
    const runId = claimed.body().run.id

    const drain = await client.post('/api/v1/agent/drain').bearerToken(token)
    drain.assertStatus(200)
    assert.isTrue(drain.body().draining)

    const refused = await claim(client, token)
    refused.assertStatus(409)
    assert.equal(refused.body().code, 'draining')
    const profile = await client.get('/api/v1/agent').bearerToken(token)
    assert.isTrue(profile.body().agent.draining)

    const beat = await client.post(`/api/v1/runs/${runId}/heartbeat`).bearerToken(token)
    beat.assertStatus(200)
    const done = await client
      .post(`/api/v1/runs/${runId}/complete`)
      .bearerToken(token)
      .json({ outcome: 'succeeded' })
    done.assertStatus(200)
    assert.equal(done.body().work_item.status, 'completed')
    assert.lengthOf(await Run.all(), 1, 'nothing new was claimed')

    const resumed = await client.delete('/api/v1/agent/drain').bearerToken(token)
    resumed.assertStatus(200)
    assert.isFalse(resumed.body().draining)
    const next = await claim(client, token)
    next.assertStatus(201)

    const actions = await AuditEvent.query()
      .where({ actorType: 'agent', actorId: agent.id })
      .whereLike('action', 'agent.drain%')
      .orderBy('id')
    assert.deepEqual(
      actions.map((event) => event.action),
      ['agent.drain_started', 'agent.drain_ended']
    )
  })

  test('a disabled agent claims nothing (403) but its run in flight reports its result', async ({
    client,
    assert,
  }) => {
    const project = await ProjectFactory.create()
    const item = await WorkItemFactory.apply('due').merge({ projectId: project.id }).create()
    await WorkItemFactory.apply('due').merge({ projectId: project.id }).create()
    const { agent, token } = await agentWithToken(
      AgentFactory.merge({ maxConcurrency: 2 }).create()
    )
    const claimed = await claim(client, token)
    const runId = claimed.body().run.id
    await agent.disable('system')

    const refused = await claim(client, token)
    refused.assertStatus(403)
    const logs = await client
      .post(`/api/v1/runs/${runId}/logs`)
      .bearerToken(token)
      .json({ first_seq: 1, lines: [{ level: 'info', message: 'still here' }] })
    logs.assertStatus(202)
    const done = await client
      .post(`/api/v1/runs/${runId}/complete`)
      .bearerToken(token)
      .json({ outcome: 'succeeded', summary: 'finished after the disable' })
    done.assertStatus(200)
    await item.refresh()
    assert.equal(item.status, 'completed')
    const run = await db.from('runs').where('id', runId).firstOrFail()
    assert.equal(run.status, 'succeeded')
  })
})
