import { test } from '@japa/runner'
import db from '@adonisjs/lucid/services/db'
import WorkItem from '#models/work_item'
import Claimable from '#infrastructure/claimable'
import type Project from '#models/project'
import { emptyWorld } from '#tests/support/test_database'
import { ProjectFactory } from '#database/factories/project_factory'
import { AgentFactory } from '#database/factories/agent_factory'
import { agentWithToken } from '#tests/support/claimed_run'

/** Creates an item the way item creation must: announced in its own transaction. */
async function enqueueAnnounced(project: Project, workType = 'code') {
  return db.transaction(async (trx) => {
    const item = await WorkItem.create(
      { projectId: project.id, workType, title: 'Arrived while waiting', payload: {} },
      { client: trx }
    )
    await Claimable.announce(trx, project.id)
    return item
  })
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

test.group('POST /api/v1/claims with wait_seconds (long-poll)', (group) => {
  group.each.setup(() => emptyWorld())

  test('a waiting claim answers within 1 s of an item being created and announced', async ({
    client,
    assert,
  }) => {
    const project = await ProjectFactory.create()
    const { token } = await agentWithToken(AgentFactory.create())

    const started = Date.now()
    const waiting = client.post('/api/v1/claims').bearerToken(token).json({ wait_seconds: 10 })
    await sleep(500)
    const created = Date.now()
    const item = await enqueueAnnounced(project)
    const response = await waiting

    response.assertStatus(201)
    assert.equal(response.body().work_item.id, item.id)
    assert.isBelow(Date.now() - created, 1000)
    assert.isAbove(created - started, 400, 'it did wait')
  })

  test('with nothing arriving, it answers 204 after wait_seconds', async ({ client, assert }) => {
    await ProjectFactory.create()
    const { token } = await agentWithToken(AgentFactory.create())

    const started = Date.now()
    const response = await client
      .post('/api/v1/claims')
      .bearerToken(token)
      .json({ wait_seconds: 1 })

    response.assertStatus(204)
    assert.closeTo(Date.now() - started, 1000, 300)
  })

  test('an announcement of work the agent cannot take does not end the wait', async ({
    client,
    assert,
  }) => {
    const project = await ProjectFactory.create()
    const { token } = await agentWithToken(
      AgentFactory.merge({ capabilities: { work_types: ['code'], tags: [] } }).create()
    )

    const started = Date.now()
    const waiting = client.post('/api/v1/claims').bearerToken(token).json({ wait_seconds: 2 })
    await sleep(300)
    await enqueueAnnounced(project, 'docs')
    const response = await waiting

    response.assertStatus(204)
    assert.isAbove(Date.now() - started, 1900)
  })

  test('many waiters share the wake-ups and each item goes to exactly one of them', async ({
    client,
    assert,
  }) => {
    const project = await ProjectFactory.create()
    const agents = await Promise.all(
      Array.from({ length: 6 }, () => agentWithToken(AgentFactory.create()))
    )

    const waiting = agents.map(({ token }) =>
      client.post('/api/v1/claims').bearerToken(token).json({ wait_seconds: 3 })
    )
    await sleep(300)
    const listeners = await db.rawQuery(
      `select count(*)::int as n from pg_stat_activity
        where datname = current_database() and query = 'listen gatehouse_claimable'`
    )
    assert.equal(listeners.rows[0].n, 1, 'one LISTEN connection for the whole process')
    const items = [await enqueueAnnounced(project), await enqueueAnnounced(project)]
    const responses = await Promise.all(waiting)

    const claimed = responses.filter((r) => r.status() === 201).map((r) => r.body().work_item.id)
    assert.sameMembers(
      claimed,
      items.map((item) => item.id)
    )
    assert.lengthOf(
      responses.filter((r) => r.status() === 204),
      4
    )
  })

  test('a claim made as the agent hangs up is given back at once, not at lease expiry', async ({
    assert,
  }) => {
    const project = await ProjectFactory.create()
    const { agent, token } = await agentWithToken(AgentFactory.create())
    const hangUp = new AbortController()
    const waiting = fetch(`http://${process.env.HOST}:${process.env.PORT}/api/v1/claims`, {
      method: 'POST',
      headers: { 'authorization': `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ wait_seconds: 10 }),
      signal: hangUp.signal,
    }).catch(() => null)
    await sleep(300)

    // Hold the agent's row so the woken claim is inside its transaction when the agent leaves.
    const holder = await db.transaction()
    await holder.rawQuery('select 1 from agents where id = ? for update', [agent.id])
    const item = await enqueueAnnounced(project)
    await sleep(200)
    hangUp.abort()
    await waiting
    await sleep(100)
    await holder.commit()

    let run: { status: string } | undefined
    for (let i = 0; i < 50 && run?.status !== 'released'; i++) {
      await sleep(50)
      const result = await db.rawQuery('select status from runs where work_item_id = ?', [item.id])
      run = result.rows[0]
    }
    assert.equal(run?.status, 'released')
    await item.refresh()
    assert.equal(item.status, 'pending')
    assert.equal(item.attempts, 0, 'an undelivered claim is no attempt')
  })
})
