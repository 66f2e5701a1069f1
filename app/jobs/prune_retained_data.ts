import logger from '@adonisjs/core/services/logger'
import type { JobHelpers } from 'graphile-worker'
import { DateTime } from 'luxon'
import JobQueue from '#infrastructure/job_queue'
import RetentionPruner, { type PruneOptions } from '#services/retention/retention_pruner'

export const PRUNE_JOB_KEY = 'prune_retained_data'

/**
 * Nightly: deletes run logs, webhook deliveries and idempotency keys older than their retention
 * settings. A pass stops at its deadline (or when the worker stops) and the rest is left to
 * another pass enqueued right away, so no job holds a worker slot for long.
 */
export default async function pruneRetainedData(
  _payload: unknown,
  helpers?: Pick<JobHelpers, 'abortSignal'>,
  options: PruneOptions = {}
) {
  const startedAt = Date.now()
  const pass = await RetentionPruner.prunePass({ signal: helpers?.abortSignal, ...options })
  logger.info(
    { deleted: pass.deleted, complete: pass.complete, durationMs: Date.now() - startedAt },
    pass.complete ? 'retention pass done' : 'retention pass stopped with old rows left'
  )
  if (!pass.complete) {
    await JobQueue.enqueueNow(
      'prune_retained_data',
      {},
      {
        jobKey: PRUNE_JOB_KEY,
        runAt: DateTime.now().plus({ seconds: 1 }),
      }
    )
  }
}
