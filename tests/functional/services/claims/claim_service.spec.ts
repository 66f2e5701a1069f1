import { test } from '@japa/runner'
import db from '@adonisjs/lucid/services/db'
import { NEXT_ELIGIBLE_ITEM } from '#services/claims/claim_service'
import ClaimGates from '#services/claims/claim_gates'
import { DateTime } from 'luxon'
import ClaimService from '#services/claims/claim_service'
import { createAgent, createItem, createProject, emptyWorld } from '#tests/support/claim_world'

type PlanNode = { 'Node Type': string; 'Index Name'?: string; 'Plans'?: PlanNode[] }

function nodes(plan: PlanNode): PlanNode[] {
  return [plan, ...(plan.Plans ?? []).flatMap(nodes)]
}

test.group('ClaimService: the claim query', (group) => {
  group.each.setup(() => emptyWorld())

  test('walks the partial index work_items_claim_order in claim order, without sorting', async ({
    assert,
  }) => {
    const shop = await createProject()
    const blog = await createProject({ gatesConfig: { require_approval: true } })
    const { agent } = await createAgent()
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

    const explained = await db.rawQuery(`explain (format json) ${NEXT_ELIGIBLE_ITEM}`, [
      [shop.id, blog.id],
      [blog.id],
      'fix_ci',
      [],
      false,
      ['code'],
      agent.id,
      agent.id,
    ])
    const plan = nodes(explained.rows[0]['QUERY PLAN'][0].Plan)
    const types = plan.map((node) => node['Node Type'])

    assert.isTrue(
      plan.some((node) => node['Index Name'] === 'work_items_claim_order'),
      `plan: ${types.join(' > ')}`
    )
    assert.notInclude(types, 'Sort')
    assert.notInclude(
      plan.filter((node) => node['Node Type'] === 'Seq Scan').map((node) => node['Node Type']),
      'Seq Scan',
      'no sequential scan of the queue'
    )
  })
})

test.group('ClaimGates: why a project has nothing claimable', (group) => {
  group.each.setup(() => emptyWorld())

  test('reports each configured gate as open or closed with its reason', async ({ assert }) => {
    const project = await createProject({
      gatesConfig: {
        wip_limit: 1,
        require_approval: true,
        monthly_budget_usd: 50,
        default_branch_green: true,
      },
      defaultBranchStatus: 'failing',
    })
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
    const project = await createProject({ state: 'paused' })
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
    const shop = await createProject()
    const blog = await createProject()
    await createItem(blog, { priority: 100 })
    const shopItem = await createItem(shop, { priority: 0 })
    const { agent } = await createAgent({ maxConcurrency: 5 })
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
    const project = await createProject()
    const { agent: rejected } = await createAgent()
    const { agent: other } = await createAgent()
    const item = await createItem(project)
    item.merge({ affinityAgentId: rejected.id, affinityUntil: DateTime.now().plus({ minutes: 5 }) })
    await item.save()

    const forOther = await ClaimService.claim(other)
    assert.equal(forOther.outcome, 'none')
    const claimed = await ClaimService.claim(rejected)
    assert.equal(claimed.outcome === 'claimed' && claimed.workItem.id, item.id)
  })

  test('once the affinity window has passed any agent may claim the item', async ({ assert }) => {
    const project = await createProject()
    const { agent: rejected } = await createAgent()
    const { agent: other } = await createAgent()
    const item = await createItem(project)
    item.merge({
      affinityAgentId: rejected.id,
      affinityUntil: DateTime.now().minus({ seconds: 1 }),
    })
    await item.save()

    const claimed = await ClaimService.claim(other)
    assert.equal(claimed.outcome === 'claimed' && claimed.workItem.id, item.id)
  })
})
