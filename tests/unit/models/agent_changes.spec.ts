import { test } from '@japa/runner'
import db from '@adonisjs/lucid/services/db'
import testUtils from '@adonisjs/core/services/test_utils'
import Agent, { type AgentProfile } from '#models/agent'
import AuditEvent from '#models/audit_event'
import { AgentFactory } from '#database/factories/agent_factory'
import { UserFactory } from '#database/factories/user_factory'
import { databaseSnapshot } from '#tests/support/database_snapshot'

const profileOf = (agent: Agent): AgentProfile => ({
  name: agent.name,
  description: agent.description ?? '',
  capabilities: agent.capabilities,
  modelName: agent.modelName,
  modelVersion: agent.modelVersion,
  githubLogin: agent.githubLogin,
  maxConcurrency: agent.maxConcurrency,
  projectIds: agent.projectIds,
})

test.group('Changes to agents', (group) => {
  group.each.setup(() => testUtils.db().truncate())

  test('a person’s change is audited with them and their IP; the system’s as system', async ({
    assert,
  }) => {
    const maintainer = await UserFactory.create()
    const agent = await AgentFactory.create()

    await agent.disable(maintainer, { ip: '10.0.0.7', reason: 'too costly' })
    await agent.enable('system')

    const events = await AuditEvent.query().where('subjectId', agent.id).orderBy('id')
    assert.deepEqual(
      events.map((event) => [
        event.action,
        event.actorType,
        event.actorId,
        event.ipAddress,
        event.details,
      ]),
      [
        ['agent.disabled', 'user', maintainer.id, '10.0.0.7', { reason: 'too costly' }],
        ['agent.enabled', 'system', null, null, {}],
      ]
    )
  })

  test('an unchanged profile writes nothing and audits nothing; a change names its fields', async ({
    assert,
  }) => {
    const agent = await AgentFactory.create()
    const before = await databaseSnapshot()

    assert.deepEqual(await agent.updateProfile('system', profileOf(agent)), [])
    assert.deepEqual(await databaseSnapshot(), before)

    const changed = await agent.updateProfile('system', {
      ...profileOf(agent),
      maxConcurrency: agent.maxConcurrency + 1,
    })
    assert.deepEqual(changed, ['maxConcurrency'])
    const event = await AuditEvent.findByOrFail('action', 'agent.updated')
    assert.deepEqual(event.details.fields, ['maxConcurrency'])
  })

  test('in the caller’s transaction, a rollback undoes the changes and their audit events', async ({
    assert,
  }) => {
    const existing = await AgentFactory.create()
    const before = await databaseSnapshot()

    const trx = await db.transaction()
    const created = await Agent.register(
      'system',
      { ...profileOf(existing), key: 'rolled-back', enabled: false },
      { client: trx }
    )
    await created.issueToken('system', { name: 'seed' }, { client: trx })
    await existing.disable('system', { client: trx })
    const row = await trx.from('audit_events').count('* as n').first()
    assert.equal(Number(row.n), 3, 'the events are written in that transaction')
    await trx.rollback()

    assert.deepEqual(await databaseSnapshot(), before)
  })
})
