import { test } from '@japa/runner'
import db from '@adonisjs/lucid/services/db'
import ace from '@adonisjs/core/services/ace'
import ClaimService from '#services/claims/claim_service'
import ProjectUsage from '#services/claims/project_usage'
import UsageVerify from '#commands/usage_verify'
import { emptyWorld } from '#tests/support/test_database'
import { ProjectFactory } from '#database/factories/project_factory'
import { WorkItemFactory } from '#database/factories/work_item_factory'
import { AgentFactory } from '#database/factories/agent_factory'
import { agentWithToken } from '#tests/support/claimed_run'

async function stored(projectId: number) {
  const { rows } = await db.rawQuery(
    `select (select wip from project_wip where project_id = ?) as wip,
            (select spent_usd from project_usage where project_id = ? and month = usage_month(now())) as spent`,
    [projectId, projectId]
  )
  return {
    wip: rows[0].wip as number | null,
    spent: rows[0].spent === null ? null : Number(rows[0].spent),
  }
}

test.group('Project usage: the claim gates read maintained counts', (group) => {
  group.each.setup(() => emptyWorld())
  group.each.setup(() => {
    ace.ui.switchMode('raw')
    return () => ace.ui.switchMode('normal')
  })

  test('WIP and month spend follow claims, completions, costs, requeues and deletions', async ({
    assert,
  }) => {
    const limited = await ProjectFactory.merge({
      gatesConfig: { wip_limit: 3, monthly_budget_usd: 10 },
    }).create()
    const open = await ProjectFactory.create()
    const { agent } = await agentWithToken(AgentFactory.merge({ maxConcurrency: 10 }).create())
    for (let i = 0; i < 4; i++)
      await WorkItemFactory.apply('due').merge({ projectId: limited.id, priority: 10 }).create()
    await WorkItemFactory.apply('due').merge({ projectId: open.id }).create()

    const claims = []
    for (let i = 0; i < 4; i++) claims.push(await ClaimService.claim(agent))
    assert.deepEqual(
      claims.map((c) => c.outcome === 'claimed' && c.project.id),
      [limited.id, limited.id, limited.id, open.id],
      'the fourth limited item waits: its project is full'
    )
    assert.deepEqual(await stored(limited.id), { wip: 3, spent: null })
    assert.deepEqual(
      await stored(open.id),
      { wip: null, spent: null },
      'no WIP row without a WIP limit'
    )

    const [first, second, third] = claims.map((c) => (c.outcome === 'claimed' ? c : null)!)
    await db.rawQuery(`update runs set status = 'succeeded', cost_usd = 2.5 where id = ?`, [
      first.run.id,
    ])
    await db.rawQuery(`update work_items set status = 'verifying' where id = ?`, [
      first.workItem.id,
    ])
    await db.rawQuery(`update work_items set status = 'completed' where id = ?`, [
      first.workItem.id,
    ])
    await db.rawQuery(`update runs set status = 'failed', cost_usd = 1.25 where id = ?`, [
      second.run.id,
    ])
    await db.rawQuery(`update work_items set status = 'pending' where id = ?`, [second.workItem.id])
    await db.rawQuery(`update runs set cost_usd = 0.25 where id = ?`, [first.run.id])
    await db.rawQuery(`delete from work_items where id = ?`, [third.workItem.id])
    assert.deepEqual(await stored(limited.id), { wip: 0, spent: 1.5 })

    await db.rawQuery(`update runs set started_at = now() - interval '40 days' where id = ?`, [
      second.run.id,
    ])
    assert.deepEqual(await stored(limited.id), { wip: 0, spent: 0.25 }, 'counted in its own month')
    assert.deepEqual(await ProjectUsage.drift(), [])
  })

  test('setting a WIP limit counts the items already in progress; removing it drops the row', async ({
    assert,
  }) => {
    const project = await ProjectFactory.create()
    await WorkItemFactory.apply('due')
      .merge({ projectId: project.id, status: 'in_progress' })
      .create()
    await WorkItemFactory.apply('due')
      .merge({ projectId: project.id, status: 'verifying' })
      .create()
    await WorkItemFactory.apply('due').merge({ projectId: project.id, status: 'pending' }).create()

    project.gatesConfig = { wip_limit: 5 }
    await project.save()
    assert.deepEqual(await stored(project.id), { wip: 2, spent: null })

    project.gatesConfig = {}
    await project.save()
    assert.deepEqual(await stored(project.id), { wip: null, spent: null })
    assert.deepEqual(await ProjectUsage.drift(), [])
  })

  test('usage:verify reports drift and fails; --repair recounts', async ({ assert }) => {
    const project = await ProjectFactory.merge({ gatesConfig: { wip_limit: 2 } }).create()
    await WorkItemFactory.apply('due')
      .merge({ projectId: project.id, status: 'in_progress' })
      .create()
    const { agent } = await agentWithToken(AgentFactory.create())
    const item = await WorkItemFactory.apply('due').merge({ projectId: project.id }).create()
    await db.rawQuery(
      `insert into runs (work_item_id, project_id, agent_id, attempt, status, lease_expires_at, cost_usd)
       values (?, ?, ?, 1, 'failed', now(), 4)`,
      [item.id, project.id, agent.id]
    )
    // Writes that bypass the triggers, as a restore or a hand edit would.
    await db.rawQuery(`update project_wip set wip = 7`)
    await db.rawQuery(`delete from project_usage`)

    const verify = await ace.create(UsageVerify, [])
    await verify.exec()
    assert.equal(verify.exitCode, 1)
    const month = new Date().toISOString().slice(0, 7)
    verify.assertTableRows([
      [String(project.id), 'spent_usd', month, 'missing', '4'],
      [String(project.id), 'wip', '', '7', '1'],
    ])

    const repair = await ace.create(UsageVerify, ['--repair'])
    await repair.exec()
    repair.assertSucceeded()
    repair.assertLog('[ green(success) ] Repaired 2 drifted fact(s)')
    assert.deepEqual(await stored(project.id), { wip: 1, spent: 4 })

    const again = await ace.create(UsageVerify, [])
    await again.exec()
    again.assertSucceeded()
    again.assertLog('[ green(success) ] Project usage matches items and runs')
  })
})
