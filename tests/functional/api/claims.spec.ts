import { test } from '@japa/runner'
import db from '@adonisjs/lucid/services/db'
import { DateTime } from 'luxon'
import AuditEvent from '#models/audit_event'
import Policy from '#models/policy'
import Run from '#models/run'
import WorkItem from '#models/work_item'
import type { ApiClient } from '@japa/api-client'
import { emptyWorld, setSettings } from '#tests/support/test_database'
import { ProjectFactory } from '#database/factories/project_factory'
import { WorkItemFactory } from '#database/factories/work_item_factory'
import { AgentFactory } from '#database/factories/agent_factory'
import { agentWithToken } from '#tests/support/claimed_run'

function claim(client: ApiClient, token: string, body: Record<string, unknown> = {}) {
  return client.post('/api/v1/claims').bearerToken(token).json(body)
}

/** A claim that must hand out work: answers its body (run and work item). */
async function claimed(client: ApiClient, token: string, body: Record<string, unknown> = {}) {
  const response = await claim(client, token, body)
  response.assertStatus(201)
  return response.body()
}

async function claimedItemId(client: ApiClient, token: string, body: Record<string, unknown> = {}) {
  const { work_item: item } = await claimed(client, token, body)
  return item.id as number
}

async function claimsNothing(client: ApiClient, token: string, body: Record<string, unknown> = {}) {
  const response = await claim(client, token, body)
  response.assertStatus(204)
}

/** Ends a run as the lifecycle code would (that code is not this spec's concern). */
async function finishRun(runId: number) {
  await db.transaction(async (trx) => {
    const { rows } = await trx.rawQuery(
      `update runs set status = 'succeeded', finished_at = now() where id = ? and status = 'running'
       returning work_item_id`,
      [runId]
    )
    await trx.rawQuery(
      `update work_items set status = 'completed', locked_by_agent_id = null, completed_at = now()
        where id = ?`,
      [rows[0].work_item_id]
    )
  })
}

test.group('POST /api/v1/claims', (group) => {
  group.each.setup(() => emptyWorld())

  test('a claim answers 201 with the run and the work item, and starts the run', async ({
    client,
    assert,
  }) => {
    const project = await ProjectFactory.merge({ slug: 'shop', repoFullName: 'acme/shop' }).create()
    const item = await WorkItemFactory.apply('due')
      .merge({
        projectId: project.id,
        title: 'Fix the cart',
        priority: 5,
        payload: { note: 'test' },
      })
      .create()
    const { agent, token } = await agentWithToken(AgentFactory.create())

    const response = await claim(client, token)

    response.assertStatus(201)
    const body = response.body()
    assert.deepInclude(body.work_item, {
      id: item.id,
      project: { slug: 'shop', repo_full_name: 'acme/shop', repo_default_branch: 'main' },
      work_type: 'code',
      title: 'Fix the cart',
      payload: { note: 'test' },
      priority: 5,
    })
    assert.equal(body.run.attempt, 1)
    assert.equal(body.run.heartbeat_interval_seconds, 200)
    const lease = DateTime.fromISO(body.run.lease_expires_at)
    assert.closeTo(lease.diffNow('seconds').seconds, 600, 5)

    const run = await Run.findOrFail(body.run.id)
    assert.equal(run.status, 'running')
    assert.equal(run.agentId, agent.id)
    assert.equal(run.projectId, project.id)
    assert.equal(run.workItemId, item.id)
    await item.refresh()
    assert.equal(item.status, 'in_progress')
    assert.equal(item.lockedByAgentId, agent.id)
    assert.isNotNull(item.lockedAt)
    assert.equal(item.attempts, 1)
    const audit = await AuditEvent.findByOrFail('action', 'work_item.claimed')
    assert.equal(audit.actorType, 'agent')
    assert.equal(audit.actorId, agent.id)
    assert.equal(audit.subjectType, 'work_item')
    assert.equal(audit.subjectId, item.id)
    assert.equal(audit.projectId, project.id)
    assert.equal(audit.details.run_id, run.id)
  })

  test('the lease and heartbeat interval follow the project lease_seconds policy', async ({
    client,
    assert,
  }) => {
    const project = await ProjectFactory.create()
    await Policy.create({ projectId: project.id, key: 'lease_seconds', value: 90 })
    await WorkItemFactory.apply('due').merge({ projectId: project.id }).create()
    const { token } = await agentWithToken(AgentFactory.create())

    const response = await claim(client, token)

    response.assertStatus(201)
    assert.equal(response.body().run.heartbeat_interval_seconds, 30)
    assert.closeTo(
      DateTime.fromISO(response.body().run.lease_expires_at).diffNow('seconds').seconds,
      90,
      5
    )
  })

  test('a retried item is claimed as the next attempt', async ({ client, assert }) => {
    const project = await ProjectFactory.create()
    const item = await WorkItemFactory.apply('due').merge({ projectId: project.id }).create()
    await WorkItem.query().where('id', item.id).update({ attempts: 2 })
    const { token } = await agentWithToken(AgentFactory.create())

    const response = await claim(client, token)

    assert.equal(response.body().run.attempt, 3)
    await item.refresh()
    assert.equal(item.attempts, 3)
  })

  test('nothing eligible answers 204', async ({ client }) => {
    await ProjectFactory.create()
    const { token } = await agentWithToken(AgentFactory.create())
    const response = await claim(client, token)
    response.assertStatus(204)
  })

  test('an agent at its limit gets 429 with Retry-After', async ({ client, assert }) => {
    const project = await ProjectFactory.create()
    await WorkItemFactory.apply('due').merge({ projectId: project.id }).create()
    await WorkItemFactory.apply('due').merge({ projectId: project.id }).create()
    const { token } = await agentWithToken(AgentFactory.merge({ maxConcurrency: 1 }).create())

    await claimed(client, token)
    const response = await claim(client, token)

    response.assertStatus(429)
    assert.equal(response.header('retry-after'), '30')
    assert.equal(response.header('content-type'), 'application/problem+json; charset=utf-8')
    assert.lengthOf(await WorkItem.query().where('status', 'pending'), 1)
  })

  test('a disabled agent gets 403', async ({ client }) => {
    const project = await ProjectFactory.create()
    await WorkItemFactory.apply('due').merge({ projectId: project.id }).create()
    const { token } = await agentWithToken(AgentFactory.merge({ enabled: false }).create())
    const response = await claim(client, token)
    response.assertStatus(403)
  })

  test('without a valid token the answer is 401', async ({ client }) => {
    const response = await client.post('/api/v1/claims').bearerToken('gha_nope.nope').json({})
    response.assertStatus(401)
  })

  test('while the kill switch is on, claims get 503 with Retry-After', async ({
    client,
    assert,
  }) => {
    const project = await ProjectFactory.create()
    await WorkItemFactory.apply('due').merge({ projectId: project.id }).create()
    const { token } = await agentWithToken(AgentFactory.create())
    await setSettings({ agents_enabled: false })

    const response = await claim(client, token)

    response.assertStatus(503)
    assert.equal(response.header('retry-after'), '60')
    assert.lengthOf(await Run.all(), 0)
  })

  test('the global cap on parallel runs answers 429 once reached', async ({ client, assert }) => {
    const project = await ProjectFactory.create()
    await WorkItemFactory.apply('due').merge({ projectId: project.id }).create()
    await WorkItemFactory.apply('due').merge({ projectId: project.id }).create()
    await WorkItemFactory.apply('due').merge({ projectId: project.id }).create()
    const first = await agentWithToken(AgentFactory.create())
    const second = await agentWithToken(AgentFactory.create())
    await setSettings({ max_parallel_runs: 1 })

    await claimed(client, first.token)
    const response = await claim(client, second.token)

    response.assertStatus(429)
    assert.isString(response.header('retry-after'))
    await setSettings({ max_parallel_runs: 2 })
    await claimed(client, second.token)
  })

  test('invalid requests answer 422 with the fields at fault', async ({ client, assert }) => {
    const { token } = await agentWithToken(AgentFactory.create())
    const response = await claim(client, token, {
      wait_seconds: 31,
      work_types: 'code',
      project: 'nope',
    })
    response.assertStatus(422)
    const fields = response
      .body()
      .errors.map((error: { field: string }) => error.field)
      .sort()
    assert.deepEqual(fields, ['project', 'wait_seconds', 'work_types'])
  })
})

test.group('Claim order and eligibility', (group) => {
  group.each.setup(() => emptyWorld())

  test('items are claimed by priority, then earliest run_after, then lowest id', async ({
    client,
    assert,
  }) => {
    const project = await ProjectFactory.create()
    const now = DateTime.now()
    const low = await WorkItemFactory.apply('due')
      .merge({ projectId: project.id, priority: 0, runAfter: now.minus({ hours: 3 }) })
      .create()
    const laterTie = await WorkItemFactory.apply('due')
      .merge({ projectId: project.id, priority: 10, runAfter: now.minus({ minutes: 1 }) })
      .create()
    const firstTie = await WorkItemFactory.apply('due')
      .merge({ projectId: project.id, priority: 10, runAfter: now.minus({ minutes: 5 }) })
      .create()
    const sameTimeA = await WorkItemFactory.apply('due')
      .merge({ projectId: project.id, priority: 5, runAfter: now.minus({ minutes: 2 }) })
      .create()
    const sameTimeB = await WorkItemFactory.apply('due')
      .merge({ projectId: project.id, priority: 5, runAfter: now.minus({ minutes: 2 }) })
      .create()
    const high = await WorkItemFactory.apply('due')
      .merge({ projectId: project.id, priority: 100 })
      .create()
    const { token } = await agentWithToken(AgentFactory.merge({ maxConcurrency: 10 }).create())

    const order: number[] = []
    for (let i = 0; i < 6; i++) order.push(await claimedItemId(client, token))

    assert.deepEqual(order, [high.id, firstTie.id, laterTie.id, sameTimeA.id, sameTimeB.id, low.id])
  })

  test('an item is not claimable before its run_after', async ({ client }) => {
    const project = await ProjectFactory.create()
    await WorkItemFactory.apply('due')
      .merge({ projectId: project.id, runAfter: DateTime.now().plus({ minutes: 5 }) })
      .create()
    const { token } = await agentWithToken(AgentFactory.create())
    await claimsNothing(client, token)
  })

  test('only pending items are claimable', async ({ client }) => {
    const project = await ProjectFactory.create()
    for (const status of ['blocked', 'failed', 'cancelled', 'completed', 'verifying'] as const) {
      await WorkItemFactory.apply('due').merge({ projectId: project.id, status }).create()
    }
    const { token } = await agentWithToken(AgentFactory.create())
    await claimsNothing(client, token)
  })

  test('an item waits until every item it depends on is completed', async ({ client, assert }) => {
    const project = await ProjectFactory.create()
    const first = await WorkItemFactory.apply('due')
      .merge({ projectId: project.id, priority: 0 })
      .create()
    const second = await WorkItemFactory.apply('due')
      .merge({ projectId: project.id, priority: 0 })
      .create()
    const dependant = await WorkItemFactory.apply('due')
      .merge({ projectId: project.id, priority: 100 })
      .create()
    await dependant.related('dependsOn').attach([first.id, second.id])
    const { token } = await agentWithToken(AgentFactory.merge({ maxConcurrency: 5 }).create())

    const a = await claimed(client, token)
    assert.equal(a.work_item.id, first.id)
    await finishRun(a.run.id)
    const b = await claimed(client, token)
    assert.equal(b.work_item.id, second.id, 'one dependency still open')
    await claimsNothing(client, token)
    await finishRun(b.run.id)
    assert.equal(await claimedItemId(client, token), dependant.id)
  })

  test('an agent claims only the work types it accepts; * accepts all', async ({
    client,
    assert,
  }) => {
    const project = await ProjectFactory.create()
    const docs = await WorkItemFactory.apply('due')
      .merge({ projectId: project.id, workType: 'docs', priority: 10 })
      .create()
    const code = await WorkItemFactory.apply('due')
      .merge({ projectId: project.id, workType: 'code', priority: 0 })
      .create()
    const coder = await agentWithToken(
      AgentFactory.merge({ capabilities: { work_types: ['code'], tags: [] } }).create()
    )
    const anything = await agentWithToken(
      AgentFactory.merge({ capabilities: { work_types: ['*'], tags: [] } }).create()
    )

    assert.equal(await claimedItemId(client, coder.token), code.id)
    assert.equal(await claimedItemId(client, anything.token), docs.id)
  })

  test('a pinned item goes only to its agent', async ({ client, assert }) => {
    const project = await ProjectFactory.create()
    const pinnedTo = await agentWithToken(AgentFactory.create())
    const other = await agentWithToken(AgentFactory.create())
    const pinned = await WorkItemFactory.apply('due')
      .merge({ projectId: project.id, assignedAgentId: pinnedTo.agent.id, priority: 10 })
      .create()
    const free = await WorkItemFactory.apply('due')
      .merge({ projectId: project.id, priority: 0 })
      .create()

    assert.equal(await claimedItemId(client, other.token), free.id)
    const stranger = await agentWithToken(AgentFactory.create())
    await claimsNothing(client, stranger.token)
    assert.equal(await claimedItemId(client, pinnedTo.token), pinned.id)
  })

  test('a claim may narrow by work types and by project', async ({ client, assert }) => {
    const shop = await ProjectFactory.merge({ slug: 'shop' }).create()
    const blog = await ProjectFactory.merge({ slug: 'blog' }).create()
    await WorkItemFactory.apply('due')
      .merge({ projectId: shop.id, workType: 'code', priority: 100 })
      .create()
    const shopDocs = await WorkItemFactory.apply('due')
      .merge({ projectId: shop.id, workType: 'docs', priority: 50 })
      .create()
    const blogCode = await WorkItemFactory.apply('due')
      .merge({ projectId: blog.id, workType: 'code', priority: 10 })
      .create()
    const { token } = await agentWithToken(AgentFactory.merge({ maxConcurrency: 5 }).create())

    assert.equal(await claimedItemId(client, token, { work_types: ['docs'] }), shopDocs.id)
    assert.equal(await claimedItemId(client, token, { project: 'blog' }), blogCode.id)
    await claimsNothing(client, token, { project: 'blog' })
  })

  test('requested work types the agent does not accept find nothing', async ({ client }) => {
    const project = await ProjectFactory.create()
    await WorkItemFactory.apply('due').merge({ projectId: project.id, workType: 'docs' }).create()
    const { token } = await agentWithToken(
      AgentFactory.merge({ capabilities: { work_types: ['code'], tags: [] } }).create()
    )
    await claimsNothing(client, token, { work_types: ['docs'] })
  })

  test('items of projects that are not active are not claimable', async ({ client }) => {
    for (const state of ['draft', 'paused', 'archived'] as const) {
      const project = await ProjectFactory.merge({ state }).create()
      await WorkItemFactory.apply('due').merge({ projectId: project.id }).create()
    }
    const { token } = await agentWithToken(AgentFactory.create())
    await claimsNothing(client, token)
  })
})

test.group('Claim gates', (group) => {
  group.each.setup(() => emptyWorld())

  test('wip_limit: a project with N items in progress or verifying is closed', async ({
    client,
    assert,
  }) => {
    const project = await ProjectFactory.merge({ gatesConfig: { wip_limit: 2 } }).create()
    await WorkItemFactory.apply('due')
      .merge({ projectId: project.id, status: 'verifying' })
      .create()
    const items = [
      await WorkItemFactory.apply('due').merge({ projectId: project.id }).create(),
      await WorkItemFactory.apply('due').merge({ projectId: project.id }).create(),
    ]
    const other = await ProjectFactory.create()
    const elsewhere = await WorkItemFactory.apply('due')
      .merge({ projectId: other.id, priority: -1 })
      .create()
    const { token } = await agentWithToken(AgentFactory.merge({ maxConcurrency: 5 }).create())

    const first = await claimed(client, token)
    assert.equal(first.work_item.id, items[0].id)
    assert.equal(await claimedItemId(client, token), elsewhere.id, 'project full')
    await claimsNothing(client, token)

    await finishRun(first.run.id)
    assert.equal(await claimedItemId(client, token), items[1].id, 'gate reopened')
  })

  test('require_approval: only approved items are claimable', async ({ client, assert }) => {
    const project = await ProjectFactory.merge({ gatesConfig: { require_approval: true } }).create()
    await WorkItemFactory.apply('due').merge({ projectId: project.id, priority: 100 }).create()
    const approved = await WorkItemFactory.apply('due')
      .merge({ projectId: project.id, approvedAt: DateTime.now() })
      .create()
    const { token } = await agentWithToken(AgentFactory.merge({ maxConcurrency: 5 }).create())

    assert.equal(await claimedItemId(client, token), approved.id)
    await claimsNothing(client, token)
  })

  test('monthly_budget_usd: no claims once this month cost the budget', async ({ client }) => {
    const project = await ProjectFactory.merge({ gatesConfig: { monthly_budget_usd: 10 } }).create()
    await WorkItemFactory.apply('due').merge({ projectId: project.id }).create()
    await WorkItemFactory.apply('due').merge({ projectId: project.id }).create()
    const { agent, token } = await agentWithToken(
      AgentFactory.merge({ maxConcurrency: 5 }).create()
    )

    const first = await claimed(client, token)
    await Run.query().where('id', first.run.id).update({ costUsd: 9.99 })
    await claimed(client, token) // still under budget

    const lastMonth = await WorkItemFactory.apply('due')
      .merge({ projectId: project.id, status: 'completed' })
      .create()
    await Run.create({
      workItemId: lastMonth.id,
      projectId: project.id,
      agentId: agent.id,
      attempt: 1,
      status: 'succeeded',
      startedAt: DateTime.utc().startOf('month').minus({ minutes: 1 }),
      leaseExpiresAt: DateTime.utc().startOf('month'),
      costUsd: 1000,
    })
    await WorkItemFactory.apply('due').merge({ projectId: project.id }).create()
    await claimed(client, token) // last month does not count

    await Run.query().where('id', first.run.id).update({ costUsd: 10 })
    await WorkItemFactory.apply('due').merge({ projectId: project.id }).create()
    await claimsNothing(client, token)
  })

  test('default_branch_green: while the default branch fails, only fix_ci items', async ({
    client,
    assert,
  }) => {
    const project = await ProjectFactory.merge({
      gatesConfig: { default_branch_green: true },
      defaultBranchStatus: 'failing',
    }).create()
    await WorkItemFactory.apply('due')
      .merge({ projectId: project.id, workType: 'code', priority: 100 })
      .create()
    const fix = await WorkItemFactory.apply('due')
      .merge({ projectId: project.id, workType: 'fix_ci' })
      .create()
    const { token } = await agentWithToken(AgentFactory.merge({ maxConcurrency: 5 }).create())

    assert.equal(await claimedItemId(client, token), fix.id)
    await claimsNothing(client, token)

    project.defaultBranchStatus = 'passing'
    await project.save()
    await claimed(client, token)
  })

  test('a failing default branch does not matter without the gate', async ({ client }) => {
    const project = await ProjectFactory.merge({ defaultBranchStatus: 'failing' }).create()
    await WorkItemFactory.apply('due').merge({ projectId: project.id, workType: 'code' }).create()
    const { token } = await agentWithToken(AgentFactory.create())
    await claimed(client, token)
  })
})

test.group('GET /api/v1/agent', (group) => {
  group.each.setup(() => emptyWorld())

  test('answers the agent, its limits and its running runs', async ({ client, assert }) => {
    const project = await ProjectFactory.create()
    const item = await WorkItemFactory.apply('due')
      .merge({ projectId: project.id, title: 'Refactor' })
      .create()
    await WorkItemFactory.apply('due').merge({ projectId: project.id }).create()
    const { agent, token } = await agentWithToken(
      AgentFactory.merge({ maxConcurrency: 3 }).create()
    )
    const { run } = await claimed(client, token)

    const response = await client.get('/api/v1/agent').bearerToken(token)

    response.assertStatus(200)
    const body = response.body()
    assert.equal(body.agent.key, agent.key)
    assert.deepEqual(body.agent.capabilities, { work_types: ['*'], tags: [] })
    assert.deepEqual(body.limits, { max_concurrency: 3, running: 1, available: 2 })
    assert.lengthOf(body.running_runs, 1)
    assert.equal(body.running_runs[0].id, run.id)
    assert.deepEqual(body.running_runs[0].work_item, {
      id: item.id,
      work_type: 'code',
      title: 'Refactor',
    })
  })

  test('last_seen_at is recorded, but written at most every 30 s', async ({ client, assert }) => {
    const { agent, token } = await agentWithToken(AgentFactory.create())

    await client.get('/api/v1/agent').bearerToken(token)
    await agent.refresh()
    const firstSeen = agent.lastSeenAt!
    assert.isNotNull(firstSeen)

    await client.get('/api/v1/agent').bearerToken(token)
    await agent.refresh()
    assert.equal(agent.lastSeenAt!.toMillis(), firstSeen.toMillis(), 'fresh: not written again')

    await db.rawQuery(
      `update agents set last_seen_at = now() - interval '31 seconds' where id = ?`,
      [agent.id]
    )
    await client.get('/api/v1/agent').bearerToken(token)
    await agent.refresh()
    assert.isAbove(agent.lastSeenAt!.toMillis(), firstSeen.toMillis())
  })

  test('a token records its last use at most once a minute', async ({ client, assert }) => {
    const { token } = await agentWithToken(AgentFactory.create())
    await client.get('/api/v1/agent').bearerToken(token)
    const first = await db.from('agent_access_tokens').select('last_used_at').firstOrFail()
    assert.isNotNull(first.last_used_at)

    await client.get('/api/v1/agent').bearerToken(token)
    const second = await db.from('agent_access_tokens').select('last_used_at').firstOrFail()
    assert.equal(second.last_used_at.getTime(), first.last_used_at.getTime())
  })
})
