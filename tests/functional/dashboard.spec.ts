import { test } from '@japa/runner'
import { DateTime } from 'luxon'
import db from '@adonisjs/lucid/services/db'
import AuditEvent from '#models/audit_event'
import Run from '#models/run'
import { AgentFactory } from '#database/factories/agent_factory'
import { ProjectFactory } from '#database/factories/project_factory'
import { WorkItemFactory } from '#database/factories/work_item_factory'
import { claimedRun } from '#tests/support/claimed_run'
import {
  asUser,
  assertRoleGate,
  userWithRole,
  leaveNothingBehind,
} from '#tests/support/admin_pages'
import { emptyWorld, setSettings } from '#tests/support/test_database'

async function dashboard(client: Parameters<typeof asUser>[0]) {
  const response = await asUser(client, await userWithRole('viewer'), 'get', '/')
  response.assertStatus(200)
  return response.text()
}

test.group('Dashboard', (group) => {
  group.each.setup(() => emptyWorld())
  group.teardown(() => leaveNothingBehind())

  test('every signed-in role sees the dashboard; visitors go to /login', async ({
    client,
    assert,
  }) => {
    await assertRoleGate(client, assert, { method: 'get', url: '/', minimumRole: 'viewer' })
  })

  test('with every gate open it says so', async ({ client, assert }) => {
    await AgentFactory.create()
    await ProjectFactory.create()
    assert.include(await dashboard(client), 'Every gate is open')
  })

  test('the kill switch is named as the reason nothing is claimed', async ({ client, assert }) => {
    await AgentFactory.create()
    await setSettings({ agents_enabled: false })
    const html = await dashboard(client)
    assert.include(html, 'Why is nothing being claimed?')
    assert.include(html, 'Agents are disabled by the kill switch (Settings).')
  })

  test('a reached global cap, busy agents and closed project gates are each explained', async ({
    client,
    assert,
  }) => {
    const { project, agent } = await claimedRun({ gates: { wip_limit: 1 } })
    await agent.merge({ maxConcurrency: 1 }).save()
    await setSettings({ max_parallel_runs: 1 })
    await WorkItemFactory.merge({ projectId: project.id, status: 'pending' }).create()
    const paused = await ProjectFactory.merge({ state: 'paused', name: 'Sleepy project' }).create()
    await WorkItemFactory.merge({ projectId: paused.id, status: 'pending' }).create()

    const html = await dashboard(client)

    assert.include(html, 'Global cap reached: 1 of 1 runs running.')
    assert.include(html, 'Every enabled agent is at its concurrency limit (1 of 1 slots busy).')
    assert.include(html, '1 of 1 items in progress or verifying.')
    assert.include(html, 'Sleepy project')
    assert.include(html, 'Project is paused.')
  })

  test('no enabled agent is a reason too', async ({ client, assert }) => {
    await AgentFactory.merge({ enabled: false }).create()
    assert.include(await dashboard(client), 'No agent is enabled.')
  })

  test('runs finished per hour and queue depth per project are inline SVG bar charts', async ({
    client,
    assert,
  }) => {
    const { run } = await claimedRun()
    const finishedAt = DateTime.now().toUTC().startOf('hour').plus({ minutes: 1 })
    await Run.query()
      .where('id', run.id)
      .update({ status: 'succeeded', finishedAt: finishedAt.toSQL() })
    const failed = await claimedRun()
    await Run.query()
      .where('id', failed.run.id)
      .update({ status: 'failed', finishedAt: finishedAt.toSQL() })
    const old = await claimedRun()
    await Run.query()
      .where('id', old.run.id)
      .update({ status: 'succeeded', finishedAt: DateTime.now().minus({ hours: 30 }).toSQL() })
    const project = await ProjectFactory.merge({ slug: 'queue-chart' }).create()
    for (const status of ['pending', 'pending', 'blocked'] as const) {
      await WorkItemFactory.merge({ projectId: project.id, status }).create()
    }

    const html = await dashboard(client)

    const hour = finishedAt.toFormat('HH')
    assert.include(html, '<svg class="chart"')
    assert.include(html, `<title>${hour}: 1 succeeded</title>`)
    assert.include(html, `<title>${hour}: 1 failed or timed out</title>`)
    assert.include(
      html,
      '2 runs finished in the last 24 hours.',
      'the run 30 hours ago is left out'
    )
    assert.include(html, '<title>queue-chart: 2 pending</title>')
    assert.include(html, '<title>queue-chart: 1 blocked</title>')
    assert.notMatch(html, /<script/)
  })

  test('agents show running over max and when they were last seen; recent audit events are listed', async ({
    client,
    assert,
  }) => {
    const { agent } = await claimedRun()
    await agent
      .merge({
        maxConcurrency: 4,
        name: 'Claude Worker',
        lastSeenAt: DateTime.fromISO('2026-01-02T03:04:00Z'),
      })
      .save()
    await db.transaction((trx) =>
      AuditEvent.record(trx, { actor: 'system', action: 'gate.failed' })
    )

    const html = await dashboard(client)

    assert.match(html, /Claude Worker[\s\S]*?<td class="num">1 \/ 4<\/td>[\s\S]*?2026-01-02 03:04/)
    assert.include(html, '<code>gate.failed</code>')
  })

  test('recent events name who acted and link what they acted on', async ({ client, assert }) => {
    const { agent, item } = await claimedRun()
    await db.transaction((trx) =>
      AuditEvent.record(trx, { actor: agent, action: 'work_item.claimed', subject: item })
    )
    const html = await dashboard(client)

    assert.match(
      html,
      new RegExp(
        `<a href="/agents/${agent.id}">${agent.key}</a>[\\s\\S]*?<code>work_item.claimed</code>`
      )
    )
    assert.include(html, `<a href="/work-items/${item.id}">work item #${item.id}</a>`)
  })
})
