import { test } from '@japa/runner'
import db from '@adonisjs/lucid/services/db'
import WorkItem from '#models/work_item'
import Claimable from '#infrastructure/claimable'
import claimNotifier, { WAKE_BATCH } from '#infrastructure/claim_notifier'
import ClaimService, { type ClaimResult } from '#services/claims/claim_service'
import announceClaimable from '#jobs/announce_claimable'
import type Project from '#models/project'
import type Agent from '#models/agent'
import { emptyWorld } from '#tests/support/test_database'
import { ProjectFactory } from '#database/factories/project_factory'
import { WorkItemFactory } from '#database/factories/work_item_factory'
import { AgentFactory } from '#database/factories/agent_factory'
import { agentWithToken } from '#tests/support/claimed_run'

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

async function enqueueAnnounced(project: Project) {
  return db.transaction(async (trx) => {
    const item = await WorkItem.create(
      { projectId: project.id, workType: 'code', title: 'Arrived while waiting', payload: {} },
      { client: trx }
    )
    await Claimable.announce(trx, project.id, { workType: 'code' })
    return item
  })
}

/** `count` long-polling claims spread over the agents, and a way to end the ones still waiting. */
async function waiters(agents: Agent[], count: number, waitSeconds = 20) {
  const hangUp = new AbortController()
  const answered: ClaimResult[] = []
  const all = Array.from({ length: count }, (_, i) =>
    ClaimService.claimWaiting(agents[i % agents.length], {}, waitSeconds, hangUp.signal).then(
      (result) => {
        if (!hangUp.signal.aborted) answered.push(result)
        return result
      }
    )
  )
  const deadline = Date.now() + 20_000
  while (claimNotifier.waiting < count) {
    if (Date.now() > deadline || answered.length > 0) throw new Error('the waiters did not wait')
    await sleep(20)
  }
  return {
    answered,
    stop: async () => {
      hangUp.abort()
      await Promise.all(all)
    },
  }
}

test.group('Long-poll wake-ups', (group) => {
  group.each.setup(() => emptyWorld())

  test('500 waiters and one new item: one claim answered, the others keep waiting', async ({
    assert,
  }) => {
    const project = await ProjectFactory.create()
    const agents = await Promise.all(
      Array.from({ length: 50 }, () =>
        agentWithToken(AgentFactory.merge({ maxConcurrency: 10 }).create())
      )
    )
    const waiting = await waiters(
      agents.map(({ agent }) => agent),
      500
    )
    const wokenBefore = claimNotifier.woken

    const item = await enqueueAnnounced(project)
    await sleep(1000)

    assert.lengthOf(waiting.answered, 1)
    const [answer] = waiting.answered
    assert.equal(answer.outcome === 'claimed' && answer.workItem.id, item.id)
    assert.equal(claimNotifier.waiting, 499, 'the others still wait')
    assert.isAtMost(claimNotifier.woken - wokenBefore, 2 * WAKE_BATCH, 'a bounded number looked')
    await waiting.stop()
  }).timeout(60_000)

  test('a WIP slot freed wakes a waiter of the full project', async ({ assert }) => {
    const project = await ProjectFactory.merge({ gatesConfig: { wip_limit: 1 } }).create()
    const busy = await WorkItemFactory.apply('due')
      .merge({ projectId: project.id, status: 'in_progress' })
      .create()
    const next = await WorkItemFactory.apply('due').merge({ projectId: project.id }).create()
    const { agent } = await agentWithToken(AgentFactory.create())
    const waiting = await waiters([agent], 1)

    await db.rawQuery(`update work_items set status = 'completed' where id = ?`, [busy.id])
    await sleep(1000)

    assert.lengthOf(waiting.answered, 1)
    const [answer] = waiting.answered
    assert.equal(answer.outcome === 'claimed' && answer.workItem.id, next.id)
    await waiting.stop()
  })

  test('the start of a month (budgets reset) wakes waiters', async ({ assert }) => {
    const project = await ProjectFactory.merge({ gatesConfig: { monthly_budget_usd: 1 } }).create()
    const item = await WorkItemFactory.apply('due').merge({ projectId: project.id }).create()
    const { agent } = await agentWithToken(AgentFactory.create())
    const spent = await WorkItemFactory.apply('due')
      .merge({ projectId: project.id, status: 'completed' })
      .create()
    const { rows } = await db.rawQuery(
      `insert into runs (work_item_id, project_id, agent_id, attempt, status, lease_expires_at, cost_usd)
       values (?, ?, ?, 1, 'succeeded', now(), 2) returning id`,
      [spent.id, project.id, agent.id]
    )
    const waiting = await waiters([agent], 1)
    const wokenBefore = claimNotifier.woken
    // The month turns: that spend is last month's now, and nothing announces it but the cron job.
    await db.rawQuery(`update runs set started_at = now() - interval '40 days' where id = ?`, [
      rows[0].id,
    ])

    await announceClaimable({ _cron: { ts: new Date().toISOString(), backfilled: false } })
    await sleep(1000)

    assert.isAbove(claimNotifier.woken, wokenBefore)
    assert.lengthOf(waiting.answered, 1)
    const [answer] = waiting.answered
    assert.equal(answer.outcome === 'claimed' && answer.workItem.id, item.id)
    await waiting.stop()
  })
})
