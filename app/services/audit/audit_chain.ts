import db from '@adonisjs/lucid/services/db'
import { sha256 } from '#services/audit/evidence'

/** The previous hash of the first seal. */
export const GENESIS_HASH = '0'.repeat(64)

/** Only sealers take it (never the writers of audit events): they append one at a time. */
const SEALER_LOCK = 7273656175
const BATCH = 5000

/**
 * How far back the every-minute sealer looks for events committed late (below ids it already
 * sealed): events are stamped with their transaction's start, so only a transaction open for
 * longer than this escapes it, until the next full sealing (`audit:verify`).
 */
const LATE_COMMIT_WINDOW = '1 hour'

/** An event that waited longer than this for its seal means the sealer is not running. */
const OVERDUE_AFTER = '5 minutes'

export type SealOutcome = {
  sealed: number
  /** Events that had waited more than 5 minutes for their seal. */
  overdue: number
  firstOverdueEventId: number | null
}

export type ChainPlace = { seq: number; eventId: number }

export type ChainReport = {
  checked: number
  head: { seq: number; eventId: number; hash: string } | null
  /** The first event whose content no longer matches its seal's hash, and how many do not. */
  altered: ChainPlace | null
  alteredCount: number
  /** The first seal whose event row is gone, and how many are. */
  missing: ChainPlace | null
  missingCount: number
  /** The first seal that does not follow its predecessor (a seal deleted, changed or inserted). */
  brokenLink: ChainPlace | null
}

/**
 * The audit hash chain (migration 0530): events are written with nothing that orders their
 * writers; `seal` appends the committed ones to `audit_seals` afterwards, in id order per run,
 * each hash = sha256(previous hash || the event's canonical content). A late commit with a
 * lower id is sealed by a later run: chain order is sealing order.
 */
export default class AuditChain {
  /**
   * Seals every committed event that has no seal yet, in batches of 5,000, one transaction
   * each under the sealers' advisory lock. `full` looks at all events (audit:verify); otherwise
   * only at those above the highest sealed id or stamped within the late-commit window, so that
   * the minutely run stays cheap on a long log.
   */
  static async seal(
    options: { full?: boolean; onProgress?: (sealed: number) => void } = {}
  ): Promise<SealOutcome> {
    const outcome: SealOutcome = { sealed: 0, overdue: 0, firstOverdueEventId: null }
    // Keyset within this run: a batch never rereads the ids the previous ones sealed.
    let lastSealedId = 0
    while (true) {
      const count = await db.transaction(async (trx) => {
        await trx.rawQuery('select pg_advisory_xact_lock(?)', [SEALER_LOCK])
        const { rows: heads } = await trx.rawQuery(
          `select seq, hash, (select max(audit_event_id) from audit_seals) as max_event_id
             from audit_seals order by seq desc limit 1`
        )
        const head = heads[0]
        const recent = options.full
          ? ''
          : `and (e.id > ? or e.occurred_at > now() - interval '${LATE_COMMIT_WINDOW}')`
        const { rows: events } = await trx.rawQuery(
          `select e.id, audit_event_canonical(e) as content,
                  e.occurred_at < now() - interval '${OVERDUE_AFTER}' as overdue
             from audit_events e
            where e.id > ?
              and not exists (select 1 from audit_seals s where s.audit_event_id = e.id) ${recent}
            order by e.id
            limit ${BATCH}`,
          options.full ? [lastSealedId] : [lastSealedId, head?.max_event_id ?? 0]
        )
        if (events.length === 0) return 0
        let seq = Number(head?.seq ?? 0)
        let previous: string = head?.hash ?? GENESIS_HASH
        const columns = { seq: [] as number[], ids: [] as number[], prev: [] as string[] }
        const hashes: string[] = []
        for (const event of events) {
          const hash = sha256(previous + event.content)
          columns.seq.push(++seq)
          columns.ids.push(Number(event.id))
          columns.prev.push(previous)
          hashes.push(hash)
          previous = hash
          if (event.overdue) {
            outcome.overdue++
            outcome.firstOverdueEventId ??= Number(event.id)
          }
        }
        await trx.rawQuery(
          `insert into audit_seals (seq, audit_event_id, prev_hash, hash)
           select * from unnest(?::bigint[], ?::bigint[], ?::text[], ?::text[])`,
          [columns.seq, columns.ids, columns.prev, hashes]
        )
        lastSealedId = columns.ids[columns.ids.length - 1]
        return events.length
      })
      outcome.sealed += count
      if (count > 0) options.onProgress?.(outcome.sealed)
      if (count < BATCH) return outcome
    }
  }

  /** The last seal: its hash, recorded outside the database, anchors the whole chain. */
  static async head() {
    const { rows } = await db.rawQuery(
      'select seq, audit_event_id, hash from audit_seals order by seq desc limit 1'
    )
    return rows[0]
      ? { seq: Number(rows[0].seq), eventId: Number(rows[0].audit_event_id), hash: rows[0].hash }
      : null
  }

  /**
   * Walks the chain in seq order, 5,000 seals a batch (keyset on seq, never the whole chain in
   * memory), recomputing each hash from the event as it is now. Reports the first altered and
   * the first missing event and the first broken link; the walk goes on past a finding,
   * chaining from the stored hash, so one altered event does not mark every later one.
   */
  static async verify(onProgress?: (checked: number, total: number) => void) {
    const head = await this.head()
    const report: ChainReport = {
      checked: 0,
      head,
      altered: null,
      alteredCount: 0,
      missing: null,
      missingCount: 0,
      brokenLink: null,
    }
    let expectedSeq = 1
    let previous = GENESIS_HASH
    while (true) {
      const { rows } = await db.rawQuery(
        `select s.seq, s.audit_event_id, s.prev_hash, s.hash,
                case when e.id is null then null else audit_event_canonical(e) end as content
           from audit_seals s
           left join audit_events e on e.id = s.audit_event_id
          where s.seq >= ?
          order by s.seq
          limit ${BATCH}`,
        [expectedSeq]
      )
      for (const row of rows) {
        const place = { seq: Number(row.seq), eventId: Number(row.audit_event_id) }
        if (place.seq !== expectedSeq || row.prev_hash !== previous) {
          report.brokenLink ??= place
        }
        if (row.content === null) {
          report.missingCount++
          report.missing ??= place
        } else if (sha256(row.prev_hash + row.content) !== row.hash) {
          report.alteredCount++
          report.altered ??= place
        }
        previous = row.hash
        expectedSeq = place.seq + 1
        report.checked++
      }
      onProgress?.(report.checked, head?.seq ?? 0)
      if (rows.length < BATCH) return report
    }
  }
}
