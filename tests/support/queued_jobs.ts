import db from '@adonisjs/lucid/services/db'

/**
 * Drops the jobs a test's changes enqueued (announcements at retry times, gate rechecks), so
 * that they do not come due while a later test runs a worker. Truncating the app's tables
 * leaves graphile-worker's queue alone.
 */
export async function discardQueuedJobs() {
  await db.rawQuery(
    `select graphile_worker.complete_jobs(array(select id from graphile_worker.jobs where locked_at is null))`
  )
}
