import { test } from '@japa/runner'
import pg from 'pg'
import db from '@adonisjs/lucid/services/db'
import testUtils from '@adonisjs/core/services/test_utils'
import AuditEvent from '#models/audit_event'
import Agent from '#models/agent'
import DatabaseServer from '#infrastructure/database_server'
import { CLAIMABLE_CHANNEL } from '#infrastructure/claimable'
import { AgentFactory } from '#database/factories/agent_factory'
import { ProjectFactory } from '#database/factories/project_factory'
import { UserFactory } from '#database/factories/user_factory'
import { databaseSnapshot } from '#tests/support/database_snapshot'

/** The payloads announced on the claimable channel while `work` runs (delivered on commit). */
async function announcements(work: () => Promise<unknown>) {
  const listener = new pg.Client({ connectionString: DatabaseServer.connectionString() })
  listener.on('error', () => {})
  await listener.connect()
  const heard: string[] = []
  listener.on('notification', (message) => heard.push(message.payload ?? ''))
  await listener.query(`listen ${CLAIMABLE_CHANNEL}`)
  try {
    await work()
    await listener.query('select 1')
  } finally {
    await listener.end()
  }
  return heard
}

test.group('withAuditedChanges: lock → change → save → audit → announce', (group) => {
  group.each.setup(() => testUtils.db().truncate())

  test('the actor is named one way: a user, an agent or the system', async ({ assert }) => {
    const agent = await AgentFactory.create()
    const user = await UserFactory.create()
    const other = await AgentFactory.create()

    for (const [actor, label] of [
      [user, 'user'],
      [other, 'agent'],
      ['system', 'system'],
    ] as const) {
      await agent.changeAudited(actor, 'agent.touched', async () => ({ details: { label } }), {
        ip: label === 'user' ? '10.1.2.3' : null,
      })
    }

    const events = await AuditEvent.query().where('action', 'agent.touched').orderBy('id')
    assert.deepEqual(
      events.map((event) => [
        event.actorType,
        event.actorId,
        event.subjectType,
        event.subjectId,
        event.ipAddress,
      ]),
      [
        ['user', user.id, 'agent', agent.id, '10.1.2.3'],
        ['agent', other.id, 'agent', agent.id, null],
        ['system', null, 'agent', agent.id, null],
      ]
    )
  })

  test('the row is locked and reloaded first: a change waits for a concurrent one and sees it', async ({
    assert,
  }) => {
    const agent = await AgentFactory.create()
    const stale = await Agent.findOrFail(agent.id)

    let renamedAt = 0
    const holder = db.transaction(async (trx) => {
      await trx.from('agents').where('id', agent.id).forUpdate().select('id')
      await new Promise((resolve) => setTimeout(resolve, 300))
      await trx.from('agents').where('id', agent.id).update({ name: 'renamed meanwhile' })
      renamedAt = Date.now()
    })
    await new Promise((resolve) => setTimeout(resolve, 50))
    const changed = await stale.updateProfile('system', {
      name: agent.name,
      description: agent.description ?? '',
      capabilities: agent.capabilities,
      modelName: agent.modelName,
      modelVersion: agent.modelVersion,
      maxConcurrency: agent.maxConcurrency + 1,
    })
    const updatedAt = Date.now()
    await holder

    assert.isAtLeast(updatedAt, renamedAt)
    assert.deepEqual(changed, ['name', 'maxConcurrency'])
    const event = await AuditEvent.findByOrFail('action', 'agent.updated')
    assert.equal((event.details.from as { name: string }).name, 'renamed meanwhile')
  })

  test('an unchanged outcome writes, audits and announces nothing', async ({ assert }) => {
    const agent = await AgentFactory.create()
    const before = await databaseSnapshot()

    const heard = await announcements(async () => {
      assert.isFalse(await agent.enable('system'))
    })

    assert.deepEqual(heard, [])
    assert.deepEqual(await databaseSnapshot(), before)
  })

  test('a change that throws leaves the row and the audit trail as they were', async ({
    assert,
  }) => {
    const agent = await AgentFactory.create()
    const before = await databaseSnapshot()

    await assert.rejects(
      () =>
        agent.changeAudited('system', 'agent.touched', async () => {
          agent.name = 'half-done'
          await agent.save()
          throw new Error('refused')
        }),
      'refused'
    )

    assert.deepEqual(await databaseSnapshot(), before)
  })

  test('announces on commit, to every project or to one; not when the caller rolls back', async ({
    assert,
  }) => {
    const agent = await AgentFactory.apply('disabled').create()
    const project = await ProjectFactory.apply('paused').create()
    const maintainer = await UserFactory.create()

    assert.deepEqual(await announcements(() => agent.enable('system')), [''])
    assert.deepEqual(await announcements(() => project.changeState('active', maintainer, null)), [
      String(project.id),
    ])

    await agent.disable('system')
    const rolledBack = await announcements(async () => {
      const trx = await db.transaction()
      await agent.enable('system', { client: trx })
      await trx.rollback()
    })
    assert.deepEqual(rolledBack, [])
    await agent.refresh()
    assert.isFalse(agent.enabled)
  })

  test('a step that creates a row audits it as the subject', async ({ assert }) => {
    const maintainer = await UserFactory.create()
    const created = await Agent.register(
      maintainer,
      {
        key: 'audited-step',
        name: 'Audited step',
        description: '',
        capabilities: { work_types: ['*'], tags: [] },
        modelName: null,
        modelVersion: null,
        maxConcurrency: 2,
      },
      { ip: '10.9.9.9' }
    )

    const event = await AuditEvent.findByOrFail('action', 'agent.created')
    assert.equal(event.subjectId, created.id)
    assert.equal(event.subjectType, 'agent')
    assert.equal(event.actorId, maintainer.id)
    assert.equal(event.ipAddress, '10.9.9.9')
  })
})
