import { test } from '@japa/runner'
import db from '@adonisjs/lucid/services/db'
import testUtils from '@adonisjs/core/services/test_utils'
import AuditEvent from '#models/audit_event'
import { AgentFactory } from '#database/factories/agent_factory'
import { UserFactory } from '#database/factories/user_factory'
import { WorkItemFactory } from '#database/factories/work_item_factory'

test.group('AuditEvent', (group) => {
  group.each.setup(() => testUtils.db().truncate())

  test('names the actor, the subject and its project, and keeps only a real IP address', async ({
    assert,
  }) => {
    const user = await UserFactory.create()
    const agent = await AgentFactory.create()
    const item = await WorkItemFactory.with('project').create()

    const [byUser, byAgent, bySystem] = await db.transaction(async (trx) => [
      await AuditEvent.record(trx, {
        actor: user,
        action: 'work_item.approved',
        subject: item,
        ipAddress: '10.0.0.7',
      }),
      await AuditEvent.record(trx, {
        actor: agent,
        action: 'run.started',
        subject: item,
        ipAddress: 'unknown, 10.0.0.8',
      }),
      await AuditEvent.record(trx, { actor: 'system', action: 'settings.changed' }),
    ])

    assert.containsSubset(byUser.serialize(), {
      actorType: 'user',
      actorId: user.id,
      subjectType: 'work_item',
      subjectId: item.id,
      projectId: item.projectId,
      ipAddress: '10.0.0.7',
    })
    assert.containsSubset(byAgent.serialize(), { actorType: 'agent', actorId: agent.id })
    assert.isNull(byAgent.ipAddress, 'what a proxy passed on is not an address')
    assert.containsSubset(bySystem.serialize(), {
      actorType: 'system',
      actorId: null,
      subjectType: null,
      projectId: null,
    })
    assert.deepEqual(bySystem.details, {})

    const names = await AuditEvent.actorNames([byUser, byAgent, bySystem])
    assert.equal(names.get(`user:${user.id}`), user.fullName)
    assert.equal(names.get(`agent:${agent.id}`), agent.key)
  })

  test('the log is append-only: the database refuses to change or delete an event', async ({
    assert,
  }) => {
    const event = await db.transaction((trx) =>
      AuditEvent.record(trx, { actor: 'system', action: 'settings.changed' })
    )

    await assert.rejects(() =>
      db.from('audit_events').where('id', event.id).update({ action: 'rewritten' })
    )
    await assert.rejects(() => db.from('audit_events').where('id', event.id).delete())
    await event.refresh()
    assert.equal(event.action, 'settings.changed')
  })
})
