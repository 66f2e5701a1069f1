import { test } from '@japa/runner'
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import db from '@adonisjs/lucid/services/db'
import testUtils from '@adonisjs/core/services/test_utils'
import AuditEvent from '#models/audit_event'
import AuditChain from '#services/audit/audit_chain'

const appRoot = fileURLToPath(new URL('../../../../', import.meta.url))

function ace(argv: string[]) {
  const child = spawn(process.execPath, ['ace.js', ...argv], {
    cwd: appRoot,
    env: { ...process.env, NODE_ENV: 'development' },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  child.stdout!.on('data', (chunk) => (output += chunk))
  child.stderr!.on('data', (chunk) => (output += chunk))
  return new Promise<{ code: number | null; output: string }>((resolve) =>
    child.once('close', (code) => resolve({ code, output }))
  )
}

async function recordEvents(count: number) {
  // Concurrent transactions: the chain must still come out one line.
  await Promise.all(
    Array.from({ length: count }, (_, index) =>
      db.transaction((trx) =>
        AuditEvent.record(trx, {
          actor: 'system',
          action: 'test.event',
          details: { index },
        })
      )
    )
  )
  const events = await AuditEvent.query().orderBy('id')
  return events
}

/** What an attacker with database access does: lifts the immutability trigger for one change. */
async function tamper(sql: string, bindings: unknown[]) {
  await db.transaction(async (trx) => {
    await trx.rawQuery('alter table audit_events disable trigger audit_events_immutable')
    await trx.rawQuery(sql, bindings as any[])
    await trx.rawQuery('alter table audit_events enable trigger audit_events_immutable')
  })
}

test.group('Audit hash chain', (group) => {
  group.each.setup(() => testUtils.db().truncate())

  test('a fresh chain written by concurrent transactions verifies', async ({ assert }) => {
    await recordEvents(8)
    const report = await AuditChain.verify()
    assert.isNull(report.broken)
    assert.equal(report.checked, 8)
    assert.match(report.headHash!, /^[0-9a-f]{64}$/)
    const { code, output } = await ace(['audit:verify'])
    assert.equal(code, 0, output)
    assert.include(output, 'Audit chain intact: 8 event(s)')
  })

  test('the table still refuses an UPDATE of the chain', async ({ assert }) => {
    const [event] = await recordEvents(1)
    await assert.rejects(
      () => db.rawQuery(`update audit_events set hash = 'x' where id = ?`, [event.id]),
      /immutable/
    )
  })

  test('names the event changed with SQL', async ({ assert }) => {
    const events = await recordEvents(5)
    const victim = events[2]
    await tamper(`update audit_events set details = '{"index": 99}' where id = ?`, [victim.id])
    const stored = await db.from('audit_events').where('id', victim.id).first()
    const report = await AuditChain.verify()
    assert.deepEqual(report.broken, {
      eventId: victim.id,
      chainSeq: Number(stored.chain_seq),
      problem: 'altered',
    })
    const { code, output } = await ace(['audit:verify'])
    assert.equal(code, 1)
    assert.include(output, `Audit chain broken at event ${victim.id}`)
    assert.include(output, 'was altered')
  })

  test('names the event after a deleted one', async ({ assert }) => {
    await recordEvents(5)
    const rows = await db.from('audit_events').orderBy('chain_seq')
    await tamper('delete from audit_events where id = ?', [rows[1].id])
    const report = await AuditChain.verify()
    assert.equal(report.broken?.eventId, Number(rows[2].id))
    assert.equal(report.broken?.problem, 'missing_before')
  })
})
