import db from '@adonisjs/lucid/services/db'
import Setting, { type Settings } from '#models/setting'

/** How long rows of one kind are kept, as `make_interval` takes it. */
type KeepFor = { days: number } | { hours: number }

/**
 * Data that grows forever unless deleted once older than a setting. `agedBy` is the indexed
 * timestamp a batch walks (oldest first); `alsoInBatch` is SQL run in the batch's statement
 * (so in its transaction) over the deleted rows, a CTE named `deleted` returning the table's
 * columns.
 */
type RetainedData = {
  table: string
  agedBy: string
  keepFor: (settings: Settings) => KeepFor
  /** SQL a row must also satisfy to go (e.g. not still being worked on). */
  onlyWhere?: string
  alsoInBatch?: (keepFor: KeepFor) => { sql: string; bindings: unknown[] }
}

/** Everything retention prunes; a new kind of data is one line here (and its setting). */
export const retainedData: RetainedData[] = [
  {
    table: 'run_logs',
    agedBy: 'created_at',
    keepFor: (settings) => ({ days: settings.run_log_retention_days }),
    // The run page says when and how old: noted with the deletion, never one without the other.
    alsoInBatch: (keepFor) => ({
      sql: `update runs set logs_pruned_at = now(), logs_pruned_older_than_days = ?
             where id in (select distinct run_id from deleted)`,
      bindings: ['days' in keepFor ? keepFor.days : null],
    }),
  },
  {
    table: 'webhook_deliveries',
    agedBy: 'received_at',
    keepFor: (settings) => ({ days: settings.webhook_delivery_retention_days }),
  },
  {
    // Outgoing deliveries are kept as long as incoming ones; their attempts go with them.
    table: 'notification_deliveries',
    agedBy: 'created_at',
    keepFor: (settings) => ({ days: settings.webhook_delivery_retention_days }),
    // A redelivery of an old delivery may still be under way.
    onlyWhere: `status <> 'pending'`,
  },
  {
    table: 'idempotency_keys',
    agedBy: 'created_at',
    keepFor: (settings) => ({ hours: settings.idempotency_key_retention_hours }),
  },
]

export type PrunePass = {
  /** Rows deleted in this pass, per table. */
  deleted: Record<string, number>
  /** False when the pass stopped at its deadline with old rows left. */
  complete: boolean
}

export type PruneOptions = {
  /** Rows per statement: each batch is its own short transaction. */
  batchSize?: number
  /** The pass stops starting batches after this time (epoch ms); the job enqueues another pass. */
  deadline?: number
  signal?: AbortSignal
}

/**
 * Deletes what is older than the retention settings, in small index-ordered batches (no long
 * locks, no long transactions), taking the kinds of data in turn so that one large backlog does
 * not starve the others.
 */
export default class RetentionPruner {
  static async prunePass(options: PruneOptions = {}): Promise<PrunePass> {
    const batchSize = options.batchSize ?? 1000
    const deadline = options.deadline ?? Date.now() + 10_000
    const settings = await Setting.current()
    const deleted = Object.fromEntries(retainedData.map(({ table }) => [table, 0]))
    let pending = retainedData
    do {
      const stillPending: RetainedData[] = []
      for (const data of pending) {
        const count = await this.#deleteBatch(data, data.keepFor(settings), batchSize)
        deleted[data.table] += count
        if (count === batchSize) stillPending.push(data)
      }
      pending = stillPending
    } while (pending.length > 0 && Date.now() < deadline && !options.signal?.aborted)
    return { deleted, complete: pending.length === 0 }
  }

  static async #deleteBatch(data: RetainedData, keepFor: KeepFor, batchSize: number) {
    const also = data.alsoInBatch?.(keepFor)
    const interval = 'days' in keepFor ? 'days' : 'hours'
    const amount = 'days' in keepFor ? keepFor.days : keepFor.hours
    // Identifiers come from the list above, never from input.
    const { rows } = await db.rawQuery(
      `with doomed as (
         select id from ${data.table}
          where ${data.agedBy} < now() - make_interval(${interval} => ?)
            ${data.onlyWhere ? `and ${data.onlyWhere}` : ''}
          order by ${data.agedBy}
          limit ?
       ), deleted as (
         delete from ${data.table} using doomed where ${data.table}.id = doomed.id
         returning ${data.table}.*
       )${also ? `, noted as (${also.sql})` : ''}
       select count(*)::int as count from deleted`,
      [amount, batchSize, ...(also?.bindings ?? [])] as any[]
    )
    return rows[0].count as number
  }
}
