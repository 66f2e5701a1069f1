import type { TransactionClientContract } from '@adonisjs/lucid/types/database'
import db from '@adonisjs/lucid/services/db'
import { type DateTime } from 'luxon'

export type EnqueueOptions = {
  /** Replaces a pending job with the same key instead of adding a second one. */
  jobKey?: string
  runAt?: DateTime
  maxAttempts?: number
  /** Jobs of one queue run one at a time, in order. */
  queueName?: string
}

/**
 * Enqueues graphile-worker jobs through the caller's Lucid transaction, so a job exists
 * exactly when the state change that caused it commits, and never after a rollback.
 */
export default class JobQueue {
  static async enqueue(
    trx: TransactionClientContract,
    identifier: string,
    payload: Record<string, unknown>,
    options: EnqueueOptions = {}
  ): Promise<void> {
    // Lucid's binding type leaves out null, which pg binds as SQL NULL.
    const bindings: any[] = [
      identifier,
      JSON.stringify(payload),
      options.jobKey ?? null,
      options.runAt?.toISO() ?? null,
      options.maxAttempts ?? null,
      options.queueName ?? null,
    ]
    const sql = `select (graphile_worker.add_job(?, payload => ?::json, job_key => ?,
      run_at => ?::timestamptz, max_attempts => ?::int, queue_name => ?::text)).id as id`
    const result = await trx.rawQuery(sql, bindings)
    // With a job_key, add_job can return null under heavy contention (graphile-worker #580);
    // the job it raced with is the one that will run, but make sure one exists.
    if (options.jobKey && !result.rows[0]?.id) {
      await trx.rawQuery(sql, bindings)
    }
  }

  /** Outside any transaction of the caller: a job of its own. */
  static async enqueueNow(
    identifier: string,
    payload: Record<string, unknown>,
    options: EnqueueOptions = {}
  ) {
    await db.transaction((trx) => this.enqueue(trx, identifier, payload, options))
  }
}
