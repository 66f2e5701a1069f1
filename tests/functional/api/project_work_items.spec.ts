import { test } from '@japa/runner'
import db from '@adonisjs/lucid/services/db'
import type { ApiClient } from '@japa/api-client'
import AuditEvent from '#models/audit_event'
import type Project from '#models/project'
import type { ProjectKeyScope } from '#models/project'
import WorkItem from '#models/work_item'
import { emptyWorld } from '#tests/support/test_database'
import { ProjectFactory } from '#database/factories/project_factory'
import { WorkItemFactory } from '#database/factories/work_item_factory'
import { AgentFactory } from '#database/factories/agent_factory'
import { agentWithToken } from '#tests/support/claimed_run'

async function keyFor(project: Project, scopes: ProjectKeyScope[] = ['items:read', 'items:write']) {
  const key = await project.issueApiKey('system', { name: 'tracker', scopes })
  return { id: Number(key.identifier), value: key.value!.release() }
}

const base = (project: Project) => `/api/v1/projects/${project.slug}/work_items`

function post(client: ApiClient, url: string, key: string, body: unknown) {
  return client
    .post(url)
    .bearerToken(key)
    .json(body as Record<string, unknown>)
}

test.group('Work-item API for integrations', (group) => {
  group.each.setup(() => emptyWorld())
  // The next spec file may read every row (Lucid's truncate cleans only after its own tests).
  group.teardown(() => emptyWorld())

  test('creates an item, audited with the key as actor, and reads it back', async ({
    client,
    assert,
  }) => {
    const project = await ProjectFactory.merge({ slug: 'shop' }).create()
    const key = await keyFor(project)

    const created = await post(client, base(project), key.value, {
      external_id: 'JIRA-1',
      title: 'Fix the cart',
      work_type: 'code',
      payload: { issue: 'JIRA-1' },
      priority: 7,
    })
    created.assertStatus(201)
    const item = created.body().work_item
    assert.deepInclude(item, {
      external_id: 'JIRA-1',
      source: 'api',
      title: 'Fix the cart',
      priority: 7,
      status: 'pending',
    })
    const shown = await client.get(`${base(project)}/${item.id}`).bearerToken(key.value)
    shown.assertStatus(200)
    assert.equal(shown.body().title, 'Fix the cart')

    const audit = await AuditEvent.findByOrFail('action', 'work_item.created')
    assert.equal(audit.actorType, 'api_key')
    assert.equal(audit.actorId, key.id)
    assert.equal(audit.subjectId, item.id)
  })

  test('a batch upserts by external_id: created, updated, unchanged, conflict while running', async ({
    client,
    assert,
  }) => {
    const project = await ProjectFactory.create()
    const key = await keyFor(project)
    const first = await post(client, base(project), key.value, {
      items: [
        { external_id: 'a', title: 'A' },
        { external_id: 'b', title: 'B' },
        { external_id: 'c', title: 'C' },
      ],
    })
    first.assertStatus(200)
    assert.deepEqual(
      first.body().items.map((entry: any) => entry.outcome),
      ['created', 'created', 'created']
    )
    const running = await WorkItem.findByOrFail('externalRef', 'api:c')
    await running.merge({ status: 'in_progress' }).save()

    const second = await post(client, base(project), key.value, {
      items: [
        { external_id: 'a', title: 'A' },
        { external_id: 'b', title: 'B, renamed', priority: 3 },
        { external_id: 'c', title: 'C, renamed' },
        { external_id: 'd', title: 'D' },
      ],
    })
    assert.deepEqual(
      second.body().items.map((entry: any) => entry.outcome),
      ['unchanged', 'updated', 'conflict', 'created']
    )
    assert.lengthOf(await WorkItem.query().where('projectId', project.id), 4)
    await running.refresh()
    assert.equal(running.title, 'C')

    const tooMany = await post(client, base(project), key.value, {
      items: Array.from({ length: 501 }, (_, i) => ({ title: `t${i}` })),
    })
    tooMany.assertStatus(422)
  })

  test('update changes the fields, and is 409 while a run holds the item', async ({
    client,
    assert,
  }) => {
    const project = await ProjectFactory.create()
    const key = await keyFor(project)
    const item = await WorkItemFactory.apply('due')
      .merge({ projectId: project.id, title: 'old' })
      .create()
    const other = await WorkItemFactory.apply('due').merge({ projectId: project.id }).create()

    const patched = await client
      .patch(`${base(project)}/${item.id}`)
      .bearerToken(key.value)
      .json({ title: 'new', priority: 9, depends_on: [other.id], approved: true })
    patched.assertStatus(200)
    assert.sameMembers(patched.body().changed, ['title', 'priority', 'approved', 'depends_on'])
    assert.deepInclude(patched.body().work_item, {
      title: 'new',
      priority: 9,
      approved: true,
      depends_on: [other.id],
    })

    await item.merge({ status: 'in_progress' }).save()
    const held = await client
      .patch(`${base(project)}/${item.id}`)
      .bearerToken(key.value)
      .json({ title: 'newer' })
    held.assertStatus(409)
    await item.refresh()
    assert.equal(item.title, 'new')
  })

  test('cancel and requeue, audited with the key', async ({ client, assert }) => {
    const project = await ProjectFactory.create()
    const key = await keyFor(project)
    const item = await WorkItemFactory.apply('due').merge({ projectId: project.id }).create()

    const cancelled = await post(client, `${base(project)}/${item.id}/cancellation`, key.value, {})
    cancelled.assertStatus(200)
    assert.equal(cancelled.body().status, 'cancelled')
    const requeued = await post(client, `${base(project)}/${item.id}/requeue`, key.value, {})
    requeued.assertStatus(200)
    assert.equal(requeued.body().status, 'pending')
    const events = await AuditEvent.query()
      .where({ subjectId: item.id, actorType: 'api_key' })
      .orderBy('id')
    assert.deepEqual(
      events.map((event) => event.action),
      ['work_item.cancelled', 'work_item.requeued']
    )
  })

  test('list: filters and keyset pages', async ({ client, assert }) => {
    const project = await ProjectFactory.create()
    const key = await keyFor(project)
    for (let i = 0; i < 5; i++)
      await WorkItemFactory.apply('due')
        .merge({ projectId: project.id, title: `item ${i}` })
        .create()
    const done = await WorkItemFactory.apply('due')
      .merge({ projectId: project.id, title: 'done' })
      .create()
    await done.merge({ status: 'completed' }).save()

    const seen: string[] = []
    let after: number | null = null
    let pages = 0
    do {
      const page: any = await client
        .get(base(project))
        .qs({ status: 'pending', limit: 2, ...(after ? { after } : {}) })
        .bearerToken(key.value)
      page.assertStatus(200)
      seen.push(...page.body().data.map((item: any) => item.title))
      after = page.body().next_cursor
      pages++
    } while (after !== null)
    assert.deepEqual(seen, ['item 0', 'item 1', 'item 2', 'item 3', 'item 4'])
    assert.equal(pages, 3)
  })

  test('scopes: a read key cannot write; another project is 404; no key is 401', async ({
    client,
    assert,
  }) => {
    const project = await ProjectFactory.create()
    const elsewhere = await ProjectFactory.create()
    const reader = await keyFor(project, ['items:read'])
    const item = await WorkItemFactory.apply('due').merge({ projectId: project.id }).create()

    const list = await client.get(base(project)).bearerToken(reader.value)
    list.assertStatus(200)
    const write = await post(client, base(project), reader.value, { title: 'nope' })
    write.assertStatus(403)
    const foreign = await client.get(base(elsewhere)).bearerToken(reader.value)
    foreign.assertStatus(404)
    const anonymous = await client.get(base(project))
    anonymous.assertStatus(401)
    const agentToken = await client.get(`${base(project)}/${item.id}`).bearerToken('gha_x.y')
    agentToken.assertStatus(401)

    await project.revokeApiKey('system', reader.id)
    const revoked = await client.get(base(project)).bearerToken(reader.value)
    revoked.assertStatus(401)
    assert.lengthOf(await WorkItem.query().where('projectId', project.id), 1)
  })

  test('a create retried with its Idempotency-Key creates once', async ({ client, assert }) => {
    const project = await ProjectFactory.create()
    const key = await keyFor(project)
    const create = () =>
      client
        .post(base(project))
        .bearerToken(key.value)
        .header('Idempotency-Key', 'create-1')
        .json({ title: 'once' })
    const first = await create()
    const again = await create()
    first.assertStatus(201)
    again.assertStatus(201)
    assert.deepEqual(again.body(), first.body())
    const [row] = await db.from('work_items').where('project_id', project.id).count('* as n')
    assert.equal(Number(row.n), 1)
  })

  test('a created item wakes an agent waiting on a long-poll', async ({ client, assert }) => {
    const project = await ProjectFactory.create()
    const key = await keyFor(project)
    const { token } = await agentWithToken(AgentFactory.create())

    const started = Date.now()
    const waiting = client.post('/api/v1/claims').bearerToken(token).json({ wait_seconds: 20 })
    await new Promise((resolve) => setTimeout(resolve, 500))
    const created = await post(client, base(project), key.value, { title: 'wake up' })
    const claimed = await waiting
    claimed.assertStatus(201)
    assert.equal(claimed.body().work_item.id, created.body().work_item.id)
    assert.isBelow(Date.now() - started, 10_000)
  })
})
