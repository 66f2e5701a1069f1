import { test } from '@japa/runner'
import db from '@adonisjs/lucid/services/db'
import recoverCrashedWorkers from '#jobs/recover_crashed_workers'
import WorkerRecovery from '#infrastructure/worker_recovery'
import { clearJobs } from '#tests/support/github_world'

/** A job locked by a worker pool whose last heartbeat is `silentSeconds` old. */
async function jobLockedBy(workerId: string, silentSeconds: number) {
  await db.rawQuery(
    `insert into worker_heartbeats (worker_id, host, pid, beat_at)
     values (?, 'test-host', 4242, now() - make_interval(secs => ?))`,
    [workerId, silentSeconds]
  )
  const { rows } = await db.rawQuery(
    `select (graphile_worker.add_job('prune_retained_data', '{}'::json, job_key => ?)).id`,
    [`recover-test:${workerId}`]
  )
  await db.rawQuery(
    `update graphile_worker._private_jobs set locked_by = ?, locked_at = now(), attempts = 1 where id = ?`,
    [workerId, rows[0].id]
  )
  return rows[0].id as string
}

async function lockedBy(jobId: string) {
  const { locked_by: lockedByWorker } = await lockOf(jobId)
  return lockedByWorker
}

async function lockOf(jobId: string) {
  const { rows } = await db.rawQuery(
    `select locked_by, last_error from graphile_worker._private_jobs where id = ?`,
    [jobId]
  )
  return rows[0] as { locked_by: string | null; last_error: string | null }
}

test.group('recover_crashed_workers job', (group) => {
  group.each.setup(async () => {
    await clearJobs()
    await db.rawQuery('delete from worker_heartbeats')
    return async () => {
      await clearJobs()
      await db.rawQuery('delete from worker_heartbeats')
    }
  })

  test("unlocks the jobs of a pool gone silent, saying why, and leaves a live pool's jobs alone; a second run changes nothing", async ({
    assert,
  }) => {
    const dead = await jobLockedBy('dead-pool', WorkerRecovery.staleAfterSeconds + 30)
    const live = await jobLockedBy('live-pool', 1)

    await recoverCrashedWorkers()

    const recovered = await lockOf(dead)
    assert.isNull(recovered.locked_by, 'another worker may take it now')
    assert.match(recovered.last_error!, /worker process died/)
    assert.equal(await lockedBy(live), 'live-pool')
    const pools = await db.from('worker_heartbeats').select('worker_id')
    assert.deepEqual(
      pools.map((pool) => pool.worker_id),
      ['live-pool']
    )

    await recoverCrashedWorkers()
    assert.equal(await lockedBy(live), 'live-pool')
    assert.isNull(await lockedBy(dead))
  })
})
