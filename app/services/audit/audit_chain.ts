import db from '@adonisjs/lucid/services/db'

export type ChainBreak = {
  /** The first event that does not fit the chain (for a missing event: the one after the gap). */
  eventId: number
  chainSeq: number
  problem: 'altered' | 'missing_before' | 'relinked'
}

export type ChainReport = {
  checked: number
  /** The last event's hash: record it elsewhere to detect a truncated tail later. */
  headHash: string | null
  broken: ChainBreak | null
}

const BATCH = 5000

/**
 * Walks the audit chain (migration 0460) in chain order, in batches, and names the first
 * event whose stored hash is not the hash of its content (altered), whose position skips one
 * (an event before it is missing), or whose previous hash is not its predecessor's (relinked).
 */
export default class AuditChain {
  static async verify(): Promise<ChainReport> {
    let checked = 0
    let expectedSeq = 1
    let previousHash: string | null = null
    while (true) {
      const { rows } = await db.rawQuery(
        `select e.id, e.chain_seq, e.prev_hash, e.hash,
                audit_event_hash(e.prev_hash, e) as recomputed
           from audit_events e
          where e.chain_seq >= ?
          order by e.chain_seq
          limit ?`,
        [expectedSeq, BATCH]
      )
      for (const row of rows) {
        const at = { eventId: Number(row.id), chainSeq: Number(row.chain_seq) }
        if (at.chainSeq !== expectedSeq) {
          return { checked, headHash: previousHash, broken: { ...at, problem: 'missing_before' } }
        }
        if (row.prev_hash !== previousHash) {
          return { checked, headHash: previousHash, broken: { ...at, problem: 'relinked' } }
        }
        if (row.recomputed !== row.hash) {
          return { checked, headHash: previousHash, broken: { ...at, problem: 'altered' } }
        }
        previousHash = row.hash
        expectedSeq++
        checked++
      }
      if (rows.length < BATCH) return { checked, headHash: previousHash, broken: null }
    }
  }
}
