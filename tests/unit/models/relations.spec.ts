import { test } from '@japa/runner'
import testUtils from '@adonisjs/core/services/test_utils'
import Project from '#models/project'
import WorkItem from '#models/work_item'
import Run from '#models/run'
import Agent from '#models/agent'
import RunLog from '#models/run_log'
import Integration from '#models/integration'
import Policy from '#models/policy'
import AuditEvent from '#models/audit_event'
import WebhookDelivery from '#models/webhook_delivery'
import User from '#models/user'
import Setting from '#models/setting'
import { ProjectFactory } from '#database/factories/project_factory'
import { AgentFactory } from '#database/factories/agent_factory'
import { WorkItemFactory } from '#database/factories/work_item_factory'
import { RunFactory } from '#database/factories/run_factory'
import { RunLogFactory } from '#database/factories/run_log_factory'
import { UserFactory } from '#database/factories/user_factory'
import { AuditEventFactory } from '#database/factories/audit_event_factory'
import { WebhookDeliveryFactory } from '#database/factories/webhook_delivery_factory'

test.group('Models and factories', (group) => {
  group.each.setup(() => testUtils.db().truncate())

  test('a project loads its items, runs, integrations, policies, events and deliveries', async ({
    assert,
  }) => {
    const project = await ProjectFactory.with('workItems', 2)
      .with('integrations')
      .with('policies')
      .create()
    const agent = await AgentFactory.create()
    const item = project.workItems[0]
    await RunFactory.merge({
      workItemId: item.id,
      projectId: project.id,
      agentId: agent.id,
    }).create()
    await AuditEventFactory.merge({ projectId: project.id }).create()
    await WebhookDeliveryFactory.merge({ projectId: project.id }).create()

    const loaded = await Project.query()
      .where('id', project.id)
      .preload('workItems')
      .preload('runs')
      .preload('integrations')
      .preload('policies')
      .preload('auditEvents')
      .preload('webhookDeliveries')
      .firstOrFail()
    assert.lengthOf(loaded.workItems, 2)
    assert.lengthOf(loaded.runs, 1)
    assert.lengthOf(loaded.integrations, 1)
    assert.lengthOf(loaded.policies, 1)
    assert.lengthOf(loaded.auditEvents, 1)
    assert.lengthOf(loaded.webhookDeliveries, 1)

    const integration = await Integration.query().preload('project').firstOrFail()
    assert.equal(integration.project.id, project.id)
    const policy = await Policy.query().preload('project').firstOrFail()
    assert.equal(policy.project.id, project.id)
    const event = await AuditEvent.query().preload('project').firstOrFail()
    assert.equal(event.project.id, project.id)
    const delivery = await WebhookDelivery.query().preload('project').firstOrFail()
    assert.equal(delivery.project.id, project.id)
  })

  test('an item loads its project, agents, approver, runs and dependencies both ways', async ({
    assert,
  }) => {
    const project = await ProjectFactory.create()
    const agent = await AgentFactory.create()
    const approver = await UserFactory.apply('reviewer').create()
    const first = await WorkItemFactory.merge({ projectId: project.id }).create()
    const second = await WorkItemFactory.merge({
      projectId: project.id,
      assignedAgentId: agent.id,
      lockedByAgentId: agent.id,
      approvedByUserId: approver.id,
    }).create()
    await second.related('dependsOn').attach([first.id])
    const run = await RunFactory.merge({
      workItemId: second.id,
      projectId: project.id,
      agentId: agent.id,
    }).create()
    await RunLogFactory.merge([
      { runId: run.id, seq: 101 },
      { runId: run.id, seq: 102 },
    ]).createMany(2)

    const loaded = await WorkItem.query()
      .where('id', second.id)
      .preload('project')
      .preload('assignedAgent')
      .preload('lockedByAgent')
      .preload('approvedBy')
      .preload('runs')
      .preload('dependsOn')
      .firstOrFail()
    assert.equal(loaded.project.id, project.id)
    assert.equal(loaded.assignedAgent.id, agent.id)
    assert.equal(loaded.lockedByAgent.id, agent.id)
    assert.equal(loaded.approvedBy.id, approver.id)
    assert.deepEqual(
      loaded.runs.map((r) => r.id),
      [run.id]
    )
    assert.deepEqual(
      loaded.dependsOn.map((d) => d.id),
      [first.id]
    )

    const dependency = await WorkItem.query()
      .where('id', first.id)
      .preload('dependants')
      .firstOrFail()
    assert.deepEqual(
      dependency.dependants.map((d) => d.id),
      [second.id]
    )

    const loadedAgent = await Agent.query()
      .where('id', agent.id)
      .preload('runs')
      .preload('pinnedWorkItems')
      .preload('lockedWorkItems')
      .firstOrFail()
    assert.lengthOf(loadedAgent.runs, 1)
    assert.deepEqual(
      loadedAgent.pinnedWorkItems.map((i) => i.id),
      [second.id]
    )
    assert.deepEqual(
      loadedAgent.lockedWorkItems.map((i) => i.id),
      [second.id]
    )

    const loadedRun = await Run.query()
      .where('id', run.id)
      .preload('workItem')
      .preload('project')
      .preload('agent')
      .preload('logs')
      .firstOrFail()
    assert.equal(loadedRun.workItem.id, second.id)
    assert.equal(loadedRun.project.id, project.id)
    assert.equal(loadedRun.agent.id, agent.id)
    assert.includeMembers(
      loadedRun.logs.map((l) => l.seq),
      [101, 102]
    )

    const log = await RunLog.query().where('seq', 101).preload('run').firstOrFail()
    assert.equal(log.run.id, run.id)

    const user = await User.query()
      .where('id', approver.id)
      .preload('approvedWorkItems')
      .firstOrFail()
    assert.deepEqual(
      user.approvedWorkItems.map((i) => i.id),
      [second.id]
    )
  })

  test('jsonb columns round-trip arrays and objects; integration secrets are encrypted', async ({
    assert,
  }) => {
    const agent = await AgentFactory.merge({
      capabilities: { work_types: ['code', 'fix_ci'], tags: ['fast'] },
    }).create()
    const reloaded = await Agent.findOrFail(agent.id)
    assert.deepEqual(reloaded.capabilities, { work_types: ['code', 'fix_ci'], tags: ['fast'] })
    assert.isTrue(reloaded.accepts('fix_ci'))
    assert.isFalse(reloaded.accepts('docs'))

    const project = await ProjectFactory.create()
    const integration = new Integration()
    integration.merge({ projectId: project.id, kind: 'github', name: 'GITHUB_TOKEN' })
    integration.secret = 'ghp_supersecret'
    await integration.save()
    const stored = await Integration.findOrFail(integration.id)
    assert.notInclude(stored.value, 'ghp_supersecret')
    assert.equal(stored.revealSecret(), 'ghp_supersecret')
    assert.notProperty(stored.serialize(), 'value')
  })

  test('settings read as typed switches', async ({ assert }) => {
    const defaults = {
      agents_enabled: true,
      max_parallel_runs: null,
      run_log_retention_days: 90,
      webhook_delivery_retention_days: 30,
      idempotency_key_retention_hours: 24,
    }
    assert.deepEqual(await Setting.current(), defaults)
    const admin = await UserFactory.apply('admin').create()
    await Setting.updateOrCreate(
      { key: 'max_parallel_runs' },
      { value: 4, updatedByUserId: admin.id }
    )
    assert.deepEqual(await Setting.current(), { ...defaults, max_parallel_runs: 4 })
    const setting = await Setting.query()
      .where('key', 'max_parallel_runs')
      .preload('updatedBy')
      .firstOrFail()
    assert.equal(setting.updatedBy.id, admin.id)
  })
})
