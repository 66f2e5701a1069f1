import { test } from '@japa/runner'
import db from '@adonisjs/lucid/services/db'
import AuditEvent from '#models/audit_event'
import AuditChain, { GENESIS_HASH } from '#services/audit/audit_chain'
import { sha256 } from '#services/audit/evidence'
import ClaimService from '#services/claims/claim_service'
import AuditVerify from '#commands/audit_verify'
import { emptyWorld } from '#tests/support/test_database'
import { ProjectFactory } from '#database/factories/project_factory'
import { WorkItemFactory } from '#database/factories/work_item_factory'
import { AgentFactory } from '#database/factories/agent_factory'
import { keepCommandOutput, messagesOf, runCommand } from '#tests/support/ace_commands'

async function recordEvents(count: number) {
  // Concurrent transactions, as requests and jobs write them.
  await Promise.all(
    Array.from({ length: count }, (_, index) =>
      db.transaction((trx) =>
        AuditEvent.record(trx, { actor: 'system', action: 'test.event', details: { index } })
      )
    )
  )
  return AuditEvent.query().orderBy('id')
}

/** What someone with database access does: lifts the triggers for one change. */
async function tamper(sql: string, bindings: unknown[]) {
  await db.transaction(async (trx) => {
    await trx.rawQuery('set local session_replication_role = replica')
    await trx.rawQuery(sql, bindings as any[])
  })
}

async function verifyCommand() {
  const command = await runCommand(AuditVerify, ['--json'])
  return { exitCode: command.exitCode ?? 0, outcome: JSON.parse(messagesOf(command).at(-1)!) }
}

test.group('Audit hash chain', (group) => {
  group.each.setup(() => emptyWorld())
  keepCommandOutput(group)

  test('audit:verify seals a fresh chain, passes and prints its head; sealing again adds nothing', async ({
    assert,
  }) => {
    const events = await recordEvents(8)
    const { exitCode, outcome } = await verifyCommand()
    assert.equal(exitCode, 0)
    assert.equal(outcome.sealed, 8)
    assert.equal(outcome.checked, 8)
    assert.isNull(outcome.altered)
    assert.isNull(outcome.missing)

    // The chain is reproducible from the documented recipe, outside the sealer's code.
    const seals = await db.from('audit_seals').orderBy('seq')
    assert.deepEqual(
      seals.map((seal) => Number(seal.audit_event_id)),
      events.map((event) => event.id)
    )
    let previous = GENESIS_HASH
    for (const seal of seals) {
      const { rows } = await db.rawQuery(
        'select audit_event_canonical(e) as content from audit_events e where id = ?',
        [seal.audit_event_id]
      )
      assert.equal(seal.prev_hash, previous)
      assert.equal(seal.hash, sha256(previous + rows[0].content))
      previous = seal.hash
    }
    assert.deepEqual(outcome.head, { seq: 8, eventId: events[7].id, hash: previous })

    const again = await verifyCommand()
    assert.equal(again.exitCode, 0)
    assert.equal(again.outcome.sealed, 0)
  })

  test('names the event changed with SQL', async ({ assert }) => {
    const events = await recordEvents(5)
    await AuditChain.seal()
    const victim = events[2]
    await tamper(`update audit_events set details = '{"index": 99}' where id = ?`, [victim.id])

    const { exitCode, outcome } = await verifyCommand()
    assert.equal(exitCode, 1)
    assert.deepEqual(outcome.altered, { seq: 3, eventId: victim.id })
    assert.equal(outcome.alteredCount, 1)
    assert.isNull(outcome.missing)
    assert.isNull(outcome.brokenLink)
    assert.match(outcome.error, new RegExp(`event ${victim.id} \\(seal 3\\) was altered`))
  })

  test('names the event deleted with SQL', async ({ assert }) => {
    const events = await recordEvents(5)
    await AuditChain.seal()
    await tamper('delete from audit_events where id = ?', [events[1].id])

    const { exitCode, outcome } = await verifyCommand()
    assert.equal(exitCode, 1)
    assert.deepEqual(outcome.missing, { seq: 2, eventId: events[1].id })
    assert.isNull(outcome.altered)
    assert.match(outcome.error, new RegExp(`event ${events[1].id} \\(seal 2\\) is missing`))
  })

  test('a seal deleted with SQL breaks the chain there', async ({ assert }) => {
    const events = await recordEvents(4)
    await AuditChain.seal()
    await tamper('delete from audit_seals where seq = 2', [])

    const { exitCode, outcome } = await verifyCommand()
    assert.equal(exitCode, 1)
    assert.deepEqual(outcome.brokenLink, { seq: 3, eventId: events[2].id })
  })

  test('an event committed after a higher id is sealed later, in sealing order', async ({
    assert,
  }) => {
    const late = await db.transaction()
    const lateEvent = await AuditEvent.record(late, { actor: 'system', action: 'test.late' })
    const [early] = await recordEvents(1)
    assert.isAbove(early.id, lateEvent.id)

    const beforeTheLateCommit = await AuditChain.seal()
    assert.equal(beforeTheLateCommit.sealed, 1)
    await late.commit()
    const afterIt = await AuditChain.seal()
    assert.equal(afterIt.sealed, 1)

    const seals = await db.from('audit_seals').orderBy('seq')
    assert.deepEqual(
      seals.map((seal) => Number(seal.audit_event_id)),
      [early.id, lateEvent.id]
    )
    const report = await AuditChain.verify()
    assert.equal(report.checked, 2)
    assert.isNull(report.altered)
    assert.isNull(report.brokenLink)
  })

  test('seals refuse UPDATE, DELETE and (without the test opt-out) TRUNCATE', async ({
    assert,
  }) => {
    await recordEvents(1)
    await AuditChain.seal()
    await assert.rejects(() => db.rawQuery(`update audit_seals set hash = 'x'`), /immutable/)
    await assert.rejects(() => db.rawQuery('delete from audit_seals'), /immutable/)
    await db.transaction(async (trx) => {
      await trx.rawQuery(`set local gatehouse.audit_truncate_allowed = 'off'`)
      await trx.rawQuery('savepoint attempt')
      const error = await trx
        .rawQuery('truncate audit_seals')
        .then(() => null)
        .catch((caught: Error) => caught)
      assert.match(String(error), /audit seals are immutable/)
      await trx.rawQuery('rollback to savepoint attempt')
    })
  })

  test('claims running alongside the sealer: no deadlock, every event sealed once', async ({
    assert,
  }) => {
    const project = await ProjectFactory.create()
    await WorkItemFactory.apply('due').merge({ projectId: project.id }).createMany(60)
    const agents = await AgentFactory.merge({ maxConcurrency: 5 }).createMany(12)

    let claiming = true
    let sealerRuns = 0
    const sealer = (async () => {
      while (claiming) {
        await AuditChain.seal()
        sealerRuns++
      }
    })()
    const outcomes = await Promise.all(
      agents.flatMap((agent) =>
        Array.from({ length: 6 }, () => ClaimService.claim(agent).then((r) => r.outcome))
      )
    ).finally(() => (claiming = false))
    await sealer
    await AuditChain.seal()

    assert.equal(outcomes.filter((outcome) => outcome === 'claimed').length, 60)
    assert.isAbove(sealerRuns, 0)
    const { rows } = await db.rawQuery(
      `select (select count(*) from audit_events)::int as events,
              (select count(*) from audit_seals)::int as seals,
              (select count(distinct audit_event_id) from audit_seals)::int as sealed_events,
              (select max(seq) from audit_seals)::int as head_seq,
              (select count(*) from audit_events e
                where not exists (select 1 from audit_seals s where s.audit_event_id = e.id))::int
                as unsealed`
    )
    assert.isAtLeast(rows[0].events, 60)
    assert.deepEqual(rows[0], {
      events: rows[0].events,
      seals: rows[0].events,
      sealed_events: rows[0].events,
      head_seq: rows[0].events,
      unsealed: 0,
    })
    const report = await AuditChain.verify()
    assert.equal(report.checked, rows[0].events)
    assert.isNull(report.altered)
    assert.isNull(report.brokenLink)
  })
})
