import { test } from '@japa/runner'
import db from '@adonisjs/lucid/services/db'
import pg from 'pg'
import DatabaseServer from '#infrastructure/database_server'
import ClaimGates from '#services/claims/claim_gates'
import { DateTime } from 'luxon'
import ClaimService from '#services/claims/claim_service'
import { emptyWorld } from '#tests/support/test_database'
import { ProjectFactory } from '#database/factories/project_factory'
import { WorkItemFactory } from '#database/factories/work_item_factory'
import { AgentFactory } from '#database/factories/agent_factory'
import { agentWithToken } from '#tests/support/claimed_run'

type PlanNode = {
  'Node Type': string
  'Index Name'?: string
  'Relation Name'?: string
  'Plans'?: PlanNode[]
}

function nodes(plan: PlanNode): PlanNode[] {
  return [plan, ...(plan.Plans ?? []).flatMap(nodes)]
}

/**
 * The plans claim_item's statements actually ran with (auto_explain, sent to this client as
 * notices), from a claim that is rolled back. Six runs first, so the cached generic plans are
 * the ones examined.
 */
async function claimPlans(agentId: number) {
  const client = new pg.Client({ connectionString: DatabaseServer.connectionString() })
  const plans: { 'Query Text': string; 'Plan': PlanNode }[] = []
  await client.connect()
  try {
    await client.query(`load 'auto_explain'`)
    for (let i = 0; i < 7; i++) {
      const last = i === 6
      await client.query('begin')
      if (last) {
        await client.query(`set local auto_explain.log_min_duration = 0`)
        await client.query(`set local auto_explain.log_nested_statements = on`)
        await client.query(`set local auto_explain.log_format = json`)
        await client.query(`set local auto_explain.log_level = notice`)
        client.on('notice', (notice) => {
          const text = notice.message?.replace(/^duration: [\d.]+ ms\s+plan:\s*/, '') ?? ''
          if (text.startsWith('{')) plans.push(JSON.parse(text))
        })
      }
      await client.query(`select * from claim_item($1, null, null, '{"lease_seconds": 600}')`, [
        agentId,
      ])
      await client.query('rollback')
    }
  } finally {
    await client.end()
  }
  return plans
}

test.group('ClaimService: the claim query', (group) => {
  group.each.setup(() => emptyWorld())

  test('walks the partial index work_items_claim_order in claim order, without sorting', async ({
    assert,
  }) => {
    const shop = await ProjectFactory.create()
    const blog = await ProjectFactory.merge({ gatesConfig: { require_approval: true } }).create()
    const { agent } = await agentWithToken(AgentFactory.create())
    await db.rawQuery(
      `insert into work_items (project_id, work_type, title, status, priority, run_after)
       select case when i % 2 = 0 then ?::int else ?::int end,
              case when i % 5 = 0 then 'docs' else 'code' end,
              'item ' || i,
              case when i % 3 = 0 then 'completed' else 'pending' end,
              i % 7, now() - make_interval(secs => i % 100)
         from generate_series(1, 20000) as i`,
      [shop.id, blog.id]
    )
    await db.rawQuery(
      `insert into work_item_dependencies (work_item_id, depends_on_id)
       select id, id - 1 from work_items where id % 10 = 0`
    )
    await db.rawQuery('analyze work_items')
    await db.rawQuery('analyze work_item_dependencies')

    const plans = await claimPlans(agent.id)
    const pick = plans.find((plan) => plan['Query Text'].includes('order by wi.priority desc'))
    assert.exists(pick, 'the claim function ran its pick')
    const plan = nodes(pick!.Plan)
    const types = plan.map((node) => node['Node Type'])

    assert.isTrue(
      plan.some((node) => node['Index Name'] === 'work_items_claim_order'),
      `plan: ${types.join(' > ')}`
    )
    assert.notInclude(types, 'Sort')
    assert.notInclude(
      plan.filter((node) => node['Node Type'] === 'Seq Scan').map((node) => node['Relation Name']),
      'work_items',
      'no sequential scan of the queue'
    )
  })
})

test.group('ClaimGates: why a project has nothing claimable', (group) => {
  group.each.setup(() => emptyWorld())

  test('reports each configured gate as open or closed with its reason', async ({ assert }) => {
    const project = await ProjectFactory.merge({
      gatesConfig: {
        wip_limit: 1,
        require_approval: true,
        monthly_budget_usd: 50,
        default_branch_green: true,
      },
      defaultBranchStatus: 'failing',
    }).create()
    await db.rawQuery(
      `insert into work_items (project_id, title, status) values (?, 'busy', 'verifying')`,
      [project.id]
    )

    const admission = (await ClaimGates.forProject(project.id))!

    assert.isFalse(admission.open)
    assert.deepEqual(admission.gates, [
      { gate: 'project_active', open: true, reason: 'Project is active.' },
      { gate: 'wip_limit', open: false, reason: '1 of 1 items in progress or verifying.' },
      { gate: 'require_approval', open: true, reason: 'Only approved items are claimable.' },
      { gate: 'monthly_budget_usd', open: true, reason: '$0.00 of $50.00 spent this month (UTC).' },
      {
        gate: 'default_branch_green',
        open: true,
        reason: 'Default branch is failing: only fix_ci items are claimable.',
      },
    ])
    assert.isTrue(admission.approvedOnly)
    assert.deepEqual(admission.onlyWorkTypes, ['fix_ci'])
  })

  test('a paused project is closed whatever its gates', async ({ assert }) => {
    const project = await ProjectFactory.merge({ state: 'paused' }).create()
    const admission = (await ClaimGates.forProject(project.id))!
    assert.isFalse(admission.open)
    assert.deepEqual(admission.gates, [
      { gate: 'project_active', open: false, reason: 'Project is paused.' },
    ])
  })
})

test.group('ClaimService: who may take an item', (group) => {
  group.each.setup(() => emptyWorld())

  test('an agent limited to some projects claims only from them', async ({ assert }) => {
    const shop = await ProjectFactory.create()
    const blog = await ProjectFactory.create()
    await WorkItemFactory.apply('due').merge({ projectId: blog.id, priority: 100 }).create()
    const shopItem = await WorkItemFactory.apply('due')
      .merge({ projectId: shop.id, priority: 0 })
      .create()
    const { agent } = await agentWithToken(AgentFactory.merge({ maxConcurrency: 5 }).create())
    agent.projectIds = [shop.id]
    await agent.save()

    const first = await ClaimService.claim(agent)
    assert.equal(first.outcome, 'claimed')
    assert.equal(first.outcome === 'claimed' && first.workItem.id, shopItem.id)
    const second = await ClaimService.claim(agent)
    assert.equal(second.outcome, 'none')
  })

  test('a rejected item goes to its agent first, to others once the window has passed', async ({
    assert,
  }) => {
    const project = await ProjectFactory.create()
    const { agent: rejected } = await agentWithToken(AgentFactory.create())
    const { agent: other } = await agentWithToken(AgentFactory.create())
    const item = await WorkItemFactory.apply('due').merge({ projectId: project.id }).create()
    item.merge({ affinityAgentId: rejected.id, affinityUntil: DateTime.now().plus({ minutes: 5 }) })
    await item.save()

    const forOther = await ClaimService.claim(other)
    assert.equal(forOther.outcome, 'none')
    const claimed = await ClaimService.claim(rejected)
    assert.equal(claimed.outcome === 'claimed' && claimed.workItem.id, item.id)
  })

  test('once the affinity window has passed any agent may claim the item', async ({ assert }) => {
    const project = await ProjectFactory.create()
    const { agent: rejected } = await agentWithToken(AgentFactory.create())
    const { agent: other } = await agentWithToken(AgentFactory.create())
    const item = await WorkItemFactory.apply('due').merge({ projectId: project.id }).create()
    item.merge({
      affinityAgentId: rejected.id,
      affinityUntil: DateTime.now().minus({ seconds: 1 }),
    })
    await item.save()

    const claimed = await ClaimService.claim(other)
    assert.equal(claimed.outcome === 'claimed' && claimed.workItem.id, item.id)
  })
})
