import { test } from '@japa/runner'
import db from '@adonisjs/lucid/services/db'
import JobQueue from '#infrastructure/job_queue'
import Worker from '#infrastructure/worker'

/** A task that records what it ran, so the test can see which jobs a real worker executed. */
function recordingTask() {
  const ran: string[] = []
  let notify: () => void = () => {}
  const task = async (payload: unknown) => {
    ran.push((payload as { marker: string }).marker)
    notify()
  }
  const next = () => new Promise<void>((resolve) => (notify = resolve))
  return { ran, task, next }
}

test.group('JobQueue with a real worker', () => {
  test('a job enqueued inside a transaction runs after commit and never after rollback', async ({
    assert,
  }) => {
    const probe = recordingTask()
    const worker = await new Worker().start({
      concurrency: 1,
      taskList: { test_probe: probe.task },
      crontab: '',
    })
    try {
      await assert.rejects(() =>
        db.transaction(async (trx) => {
          await JobQueue.enqueue(trx, 'test_probe', { marker: 'rolled-back' })
          throw new Error('the change failed')
        })
      )

      const committed = probe.next()
      let visibleBeforeCommit = -1
      await db.transaction(async (trx) => {
        await JobQueue.enqueue(trx, 'test_probe', { marker: 'committed' })
        const { rows } = await db.rawQuery(
          `select count(*) as count from graphile_worker.jobs where task_identifier = 'test_probe'`
        )
        visibleBeforeCommit = rows[0].count
      })
      await committed
      await worker.stop()

      assert.equal(visibleBeforeCommit, 0, 'the job is invisible to others until commit')
      assert.deepEqual(probe.ran, ['committed'])
      const { rows } = await db.rawQuery(
        `select count(*) as count from graphile_worker.jobs where task_identifier = 'test_probe'`
      )
      assert.equal(rows[0].count, 0, 'nothing is left queued: the rolled-back job never existed')
    } finally {
      await worker.stop()
    }
  }).timeout(20_000)
})
