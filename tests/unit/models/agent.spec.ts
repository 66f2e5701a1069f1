import { test } from '@japa/runner'
import { DateTime } from 'luxon'
import db from '@adonisjs/lucid/services/db'
import testUtils from '@adonisjs/core/services/test_utils'
import Agent, { type AgentProfile } from '#models/agent'
import AuditEvent from '#models/audit_event'
import { AgentFactory } from '#database/factories/agent_factory'
import { UserFactory } from '#database/factories/user_factory'
import { databaseSnapshot } from '#tests/support/database_snapshot'
import { claimedRun } from '#tests/support/claimed_run'

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

test.group('An agent’s load', (group) => {
  group.each.setup(() => testUtils.db().truncate())

  test('running runs count against max_concurrency; finished runs free their slot', async ({
    assert,
  }) => {
    const agent = await AgentFactory.merge({ maxConcurrency: 2 }).create()
    const first = await claimedRun({ agent })
    assert.deepEqual(await agent.currentLoad(), { running: 1, maxConcurrency: 2, freeSlots: 1 })
    assert.isTrue(await agent.hasFreeSlot())

    await claimedRun({ agent })
    assert.equal(await agent.runningCount(), 2)
    assert.equal(await agent.freeSlots(), 0)
    assert.isFalse(await agent.hasFreeSlot())

    await first.run.merge({ status: 'succeeded', finishedAt: DateTime.now() }).save()
    assert.equal(await agent.freeSlots(), 1)
  })

  test('a max lowered below what runs leaves no free slot, never a negative one', async ({
    assert,
  }) => {
    const agent = await AgentFactory.merge({ maxConcurrency: 3 }).create()
    await claimedRun({ agent })
    await claimedRun({ agent })
    await agent.merge({ maxConcurrency: 1 }).save()

    assert.deepEqual(await agent.currentLoad(), { running: 2, maxConcurrency: 1, freeSlots: 0 })
  })

  test('withLoad reads every listed agent’s running count with the rows', async ({ assert }) => {
    const busy = await AgentFactory.merge({ key: 'busy', maxConcurrency: 2 }).create()
    await AgentFactory.merge({ key: 'idle' }).create()
    await claimedRun({ agent: busy })

    const listed = await Agent.query()
      .withScopes((scopes) => scopes.withLoad())
      .orderBy('key')
    // What the listing read stands for the page it renders: no query per agent behind it.
    await db.from('runs').delete()

    const loads = []
    for (const agent of listed) loads.push([agent.key, await agent.runningCount()])
    assert.deepEqual(loads, [
      ['busy', 1],
      ['idle', 0],
    ])
    assert.equal(await busy.runningCount(), 0, 'an agent loaded without it counts now')
  })
})
