import { test } from '@japa/runner'
import db from '@adonisjs/lucid/services/db'
import { DateTime } from 'luxon'
import type WorkItem from '#models/work_item'
import type Project from '#models/project'
import { emptyWorld, setSettings } from '#tests/support/test_database'
import { ProjectFactory } from '#database/factories/project_factory'
import { WorkItemFactory } from '#database/factories/work_item_factory'
import { AgentFactory } from '#database/factories/agent_factory'
import { agentWithToken } from '#tests/support/claimed_run'

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
const jitter = (max: number) => sleep(Math.floor(Math.random() * max))

/** Limits broken at this moment, read in one snapshot. */
const VIOLATIONS = `
select
  (select count(*)::int from agents a
    where (select count(*) from runs r where r.agent_id = a.id and r.status = 'running') > a.max_concurrency)
    as agents_over,
  (select count(*)::int from projects p
    where jsonb_typeof(p.gates_config -> 'wip_limit') = 'number'
      and (select count(*) from work_items w
            where w.project_id = p.id and w.status in ('in_progress', 'verifying'))
          > (p.gates_config ->> 'wip_limit')::int)
    as projects_over,
  (select count(*)::int from (select 1 from runs where status = 'running'
                               group by work_item_id having count(*) > 1) d)
    as items_twice,
  (select coalesce(max(n), 0)::int from (select count(*) as n from work_items
    where status in ('in_progress', 'verifying') and project_id = ? group by project_id) w)
    as busiest_wip`

/** The lifecycle's part, played by the test: succeeded → verifying, then completed. */
async function complete(runId: number) {
  const { rows } = await db.rawQuery(
    `update runs set status = 'succeeded', finished_at = now() where id = ? and status = 'running'
     returning work_item_id`,
    [runId]
  )
  await db.rawQuery(`update work_items set status = 'verifying' where id = ?`, [
    rows[0].work_item_id,
  ])
  await jitter(5)
  await db.rawQuery(
    `update work_items set status = 'completed', completed_at = now(), locked_by_agent_id = null
      where id = ?`,
    [rows[0].work_item_id]
  )
}

test.group('Claiming under concurrency', (group) => {
  group.each.setup(() => emptyWorld())

  test('54 claimers on 6 agents drain 500 items with every limit exact at every moment', async ({
    client,
    assert,
  }) => {
    const wipThree = await ProjectFactory.merge({ gatesConfig: { wip_limit: 3 } }).create()
    const wipFive = await ProjectFactory.merge({ gatesConfig: { wip_limit: 5 } }).create()
    const approvalOnly = await ProjectFactory.merge({
      gatesConfig: { require_approval: true },
    }).create()
    const open = await ProjectFactory.create()
    const agents = await Promise.all(
      [1, 1, 2, 2, 5, 5].map((maxConcurrency, index) =>
        agentWithToken(
          AgentFactory.merge({
            maxConcurrency,
            capabilities: { work_types: index === 0 ? ['code'] : ['*'], tags: [] },
          }).create()
        )
      )
    )
    const pinnedAgent = agents[3].agent

    const eligible = new Set<number>()
    const ineligible = new Set<number>()
    async function fill(project: Project, count: number) {
      let previous: WorkItem | null = null
      for (let i = 0; i < count; i++) {
        const approved = project !== approvalOnly || i % 2 === 0
        const dependsOn = previous && i % 10 === 0 ? [previous] : []
        const item: WorkItem = await WorkItemFactory.apply('due')
          .merge({
            projectId: project.id,
            workType: i % 4 === 0 ? 'docs' : 'code',
            priority: i % 3,
            approvedAt: approved && project === approvalOnly ? DateTime.now() : null,
            assignedAgentId: i % 25 === 0 ? pinnedAgent.id : null,
          })
          .create()
        if (dependsOn.length > 0) await item.related('dependsOn').attach(dependsOn.map((d) => d.id))
        const blockedByDependency = dependsOn.some((d) => ineligible.has(d.id))
        ;(approved && !blockedByDependency ? eligible : ineligible).add(item.id)
        previous = item
      }
    }
    await fill(wipThree, 125)
    await fill(wipFive, 125)
    await fill(approvalOnly, 125)
    await fill(open, 125)

    const claimedOnce = new Set<number>()
    const problems: string[] = []
    let done = false
    let maxWipSeen = 0

    async function checkLimits(context: string) {
      const { rows } = await db.rawQuery(VIOLATIONS, [wipThree.id])
      const row = rows[0]
      maxWipSeen = Math.max(maxWipSeen, row.busiest_wip)
      if (row.agents_over || row.projects_over || row.items_twice) {
        problems.push(`${context}: ${JSON.stringify(row)}`)
      }
    }

    async function remaining() {
      const { rows } = await db.rawQuery(
        `select count(*)::int as n from work_items where id = any(?::int[]) and status <> 'completed'`,
        [[...eligible]]
      )
      return rows[0].n as number
    }

    async function claimer(token: string) {
      while (!done) {
        const response = await client.post('/api/v1/claims').bearerToken(token).json({})
        if (response.status() === 201) {
          const { run, work_item: item } = response.body()
          if (claimedOnce.has(item.id)) problems.push(`item ${item.id} claimed twice`)
          claimedOnce.add(item.id)
          await checkLimits(`after claiming ${item.id}`)
          await jitter(10)
          await complete(run.id)
        } else if (response.status() === 204) {
          if ((await remaining()) === 0) done = true
          else await jitter(20)
        } else if (response.status() === 429) {
          await jitter(10)
        } else {
          problems.push(`unexpected ${response.status()}: ${response.text()}`)
          done = true
        }
      }
    }

    async function sampler() {
      while (!done) {
        await checkLimits('sampler')
        await sleep(2)
      }
    }

    const claimers = Array.from({ length: 54 }, (_, index) =>
      claimer(agents[index % agents.length].token)
    )
    await Promise.all([...claimers, sampler()])

    assert.deepEqual(problems, [])
    assert.sameMembers([...claimedOnce], [...eligible], 'every eligible item claimed, nothing else')
    assert.isAbove(eligible.size, 400)
    const runs = await db.rawQuery(
      `select count(*)::int as runs, count(distinct work_item_id)::int as items from runs`
    )
    assert.deepEqual(runs.rows[0], { runs: eligible.size, items: eligible.size }, 'exactly once')
    const leftovers = await db.rawQuery(
      `select count(*)::int as n from work_items where id = any(?::int[]) and status = 'pending'`,
      [[...ineligible]]
    )
    assert.equal(leftovers.rows[0].n, ineligible.size, 'unapproved items and their dependants wait')
    assert.equal(maxWipSeen, 3, 'the WIP limit was reached, not just respected')
    const pinned = await db.rawQuery(
      `select count(*)::int as n from runs r join work_items w on w.id = r.work_item_id
        where w.assigned_agent_id is not null and r.agent_id <> w.assigned_agent_id`
    )
    assert.equal(pinned.rows[0].n, 0, 'pinned items went to their agent')
  }).timeout(120_000)

  test('the global cap holds with 30 claimers on 10 agents', async ({ client, assert }) => {
    const project = await ProjectFactory.create()
    for (let i = 0; i < 120; i++)
      await WorkItemFactory.apply('due').merge({ projectId: project.id }).create()
    const agents = await Promise.all(
      Array.from({ length: 10 }, () =>
        agentWithToken(AgentFactory.merge({ maxConcurrency: 5 }).create())
      )
    )
    await setSettings({ max_parallel_runs: 7 })

    let done = false
    let maxRunning = 0
    let claimed = 0
    async function claimer(token: string) {
      while (!done) {
        const response = await client.post('/api/v1/claims').bearerToken(token).json({})
        if (response.status() === 201) {
          claimed++
          const { rows } = await db.rawQuery(
            `select count(*)::int as n from runs where status = 'running'`
          )
          maxRunning = Math.max(maxRunning, rows[0].n)
          // Held long enough that 30 claimers certainly fill the cap, however loaded the machine.
          await sleep(150 + Math.floor(Math.random() * 50))
          await complete(response.body().run.id)
        } else if (response.status() === 204) {
          done = true
        } else {
          await jitter(5)
        }
      }
    }
    await Promise.all(Array.from({ length: 30 }, (_, i) => claimer(agents[i % 10].token)))

    assert.equal(claimed, 120)
    assert.equal(maxRunning, 7)
  }).timeout(60_000)

  test('agents limited to some projects claim only there, with 24 claimers on 6 agents', async ({
    client,
    assert,
  }) => {
    const [a, b, c] = [
      await ProjectFactory.create(),
      await ProjectFactory.create(),
      await ProjectFactory.create(),
    ]
    for (const project of [a, b, c]) {
      for (let i = 0; i < 40; i++)
        await WorkItemFactory.apply('due').merge({ projectId: project.id }).create()
    }
    const onlyA = [
      await agentWithToken(AgentFactory.merge({ maxConcurrency: 3 }).create()),
      await agentWithToken(AgentFactory.merge({ maxConcurrency: 3 }).create()),
    ]
    const onlyBC = [
      await agentWithToken(AgentFactory.merge({ maxConcurrency: 3 }).create()),
      await agentWithToken(AgentFactory.merge({ maxConcurrency: 3 }).create()),
    ]
    const anywhere = [
      await agentWithToken(AgentFactory.merge({ maxConcurrency: 3 }).create()),
      await agentWithToken(AgentFactory.merge({ maxConcurrency: 3 }).create()),
    ]
    for (const { agent } of onlyA) await agent.merge({ projectIds: [a.id] }).save()
    for (const { agent } of onlyBC) await agent.merge({ projectIds: [b.id, c.id] }).save()

    const all = [...onlyA, ...onlyBC, ...anywhere]
    async function claimer(token: string) {
      let idle = 0
      while (idle < 3) {
        const response = await client.post('/api/v1/claims').bearerToken(token).json({})
        if (response.status() === 201) {
          idle = 0
          await jitter(10)
          await complete(response.body().run.id)
        } else if (response.status() === 204) {
          idle++
          await jitter(20)
        } else {
          await jitter(5)
        }
      }
    }
    await Promise.all(Array.from({ length: 24 }, (_, i) => claimer(all[i % 6].token)))

    const left = await db.from('work_items').whereNot('status', 'completed').count('* as n')
    assert.equal(Number(left[0].n), 0, 'every item was claimed by an agent allowed to')
    const outside = await db.rawQuery(
      `select a.key, r.project_id from runs r join agents a on a.id = r.agent_id
        where cardinality(a.project_ids) > 0 and not (r.project_id = any(a.project_ids))`
    )
    assert.deepEqual(outside.rows, [], 'no agent claimed outside its projects')
    const byScope = async (agents: typeof all) => {
      const ids = agents.map(({ agent }) => agent.id)
      const [row] = await db.from('runs').whereIn('agent_id', ids).count('* as n')
      return Number(row.n)
    }
    assert.isAbove(await byScope(onlyA), 0, 'the agents limited to A worked')
    assert.isAbove(await byScope(onlyBC), 0, 'the agents limited to B and C worked')
  }).timeout(120_000)
})
