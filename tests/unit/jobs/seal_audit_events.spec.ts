import { test } from '@japa/runner'
import db from '@adonisjs/lucid/services/db'
import sealAuditEvents from '#jobs/seal_audit_events'
import AuditEvent from '#models/audit_event'
import { emptyWorld } from '#tests/support/test_database'

async function seals() {
  return db.from('audit_seals').orderBy('seq').select('seq', 'audit_event_id', 'prev_hash')
}

test.group('seal_audit_events job', (group) => {
  group.each.setup(() => emptyWorld())

  test('appends the committed events to the chain in order; a second run seals nothing again', async ({
    assert,
  }) => {
    for (const action of ['settings.updated', 'agent.created', 'agent.updated']) {
      await AuditEvent.create({ actorType: 'system', action, subjectType: 'test', details: {} })
    }

    await sealAuditEvents()
    const first = await seals()
    await sealAuditEvents()

    assert.deepEqual(await seals(), first)
    const events = await AuditEvent.query().orderBy('id')
    assert.deepEqual(
      first.map((seal) => seal.audit_event_id),
      events.map((event) => event.id)
    )
    assert.equal(first[0].prev_hash, '0'.repeat(64))
  })
})
