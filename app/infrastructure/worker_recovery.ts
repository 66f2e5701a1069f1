import db from '@adonisjs/lucid/services/db'
import logger from '@adonisjs/core/services/logger'

/**
 * Crashed-worker recovery (issue 16). Every graphile-worker pool heartbeats in
 * `worker_heartbeats` every ~10 s (Worker) and removes its row when it stops cleanly. A pool
 * whose heartbeat is older than `staleAfterSeconds` belongs to a process that died (SIGKILL,
 * out of memory, lost host): its locked jobs are given back at once, so any surviving worker
 * runs them, rather than after graphile-worker's 4-hour stale-lock sweep.
 */
export default class WorkerRecovery {
  static staleAfterSeconds = 60

  /** Unlocks the jobs of every pool gone silent; returns the pools and how many jobs they held. */
  static async recover() {
    return db.transaction(async (trx) => {
      const { rows } = await trx.rawQuery(
        `delete from worker_heartbeats
          where beat_at < now() - make_interval(secs => ?)
          returning worker_id, host, pid, beat_at`,
        [this.staleAfterSeconds]
      )
      const workers = rows as { worker_id: string; host: string; pid: number; beat_at: Date }[]
      if (!workers.length) return { workers, jobs: 0 }
      const ids = workers.map((worker) => worker.worker_id)
      const locked = await trx.rawQuery(
        `select count(*)::int as count from graphile_worker._private_jobs where locked_by = any(?::text[])`,
        [ids]
      )
      // The interrupted run counts as an attempt (a job that kills its worker must not loop
      // forever); a job with no attempt left stays failed, with this reason to read.
      await trx.rawQuery(
        `update graphile_worker._private_jobs
            set last_error = 'its worker process died while running it (recovered by heartbeat)'
          where locked_by = any(?::text[])`,
        [ids]
      )
      await trx.rawQuery('select graphile_worker.force_unlock_workers(?::text[])', [ids])
      const jobs = locked.rows[0].count as number
      logger.warn(
        { workers: workers.map(({ worker_id: id, host, pid }) => ({ id, host, pid })), jobs },
        `recovered ${jobs} job(s) of ${workers.length} crashed worker pool(s)`
      )
      return { workers, jobs }
    })
  }
}
