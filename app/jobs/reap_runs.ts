import logger from '@adonisjs/core/services/logger'
import RunReaper from '#services/runs/run_reaper'

/** Every minute: times out runs whose lease expired or that ran too long, and returns their items. */
export default async function reapRuns() {
  const reaped = await RunReaper.reap()
  if (reaped.length > 0) logger.info({ reaped }, `timed out ${reaped.length} run(s)`)
}
