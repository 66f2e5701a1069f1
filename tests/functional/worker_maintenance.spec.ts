import { test } from '@japa/runner'
import db from '@adonisjs/lucid/services/db'
import Worker from '#infrastructure/worker'
import Run from '#models/run'
import { claimedRun } from '#tests/support/claimed_run'
import { fakeGitHubGroup, githubProject } from '#tests/support/github_world'

async function eventually<T>(
  probe: () => Promise<T | null | undefined | false>,
  timeoutMs: number
): Promise<T | null> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    const value = await probe()
    if (value) return value
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  return null
}

/** A running run whose lease expired a minute ago: the next reap_runs times it out. */
async function expiredRun() {
  const { run } = await claimedRun()
  await db.rawQuery(`update runs set lease_expires_at = now() - interval '1 minute' where id = ?`, [
    run.id,
  ])
  return run
}

const timedOut = (runId: number) => async () => {
  const fresh = await Run.findOrFail(runId)
  return fresh.status !== 'running' && fresh
}

test.group('maintenance jobs', (group) => {
  const github = fakeGitHubGroup(group, { jobs: true })

  test('reap_runs runs at once while a slow GitHub job holds every job slot', async ({
    assert,
    cleanup,
  }) => {
    const project = await githubProject()
    github.fake.hang(/\/issues/, 1)
    await db.rawQuery(
      `select graphile_worker.add_job('sync_github_project', json_build_object('projectId', ?::int),
         max_attempts => 1)`,
      [project.id]
    )
    const worker = await new Worker().start({ concurrency: 1, crontab: '' })
    cleanup(() => worker.stop())
    const busy = await eventually(
      async () => github.fake.requestsTo('GET', /\/issues/).length > 0,
      15_000
    )
    assert.isTrue(busy, 'the only job slot is stuck on GitHub')

    const run = await expiredRun()
    const enqueued = Date.now()
    await db.rawQuery(`select graphile_worker.add_job('reap_runs', '{}'::json)`)
    const reaped = await eventually(timedOut(run.id), 10_000)
    assert.exists(reaped, 'the reaper ran in its own runner')
    console.log(`  reaped ${Date.now() - enqueued} ms after enqueueing, the general slot busy`)
    assert.isBelow(Date.now() - enqueued, 5000)
  }).timeout(40_000)

  test('a reap_runs tick missed while no worker ran is caught up at start (fill)', async ({
    assert,
    cleanup,
  }) => {
    const run = await expiredRun()
    // The last tick graphile-worker knows of was 10 minutes ago: the worker was down since.
    await db.rawQuery(
      `insert into graphile_worker._private_known_crontabs (identifier, known_since, last_execution)
       values ('reap_runs', now() - interval '1 day', now() - interval '10 minutes')
       on conflict (identifier) do update set last_execution = excluded.last_execution`
    )
    cleanup(() =>
      db.rawQuery(
        `delete from graphile_worker._private_known_crontabs where identifier = 'reap_runs'`
      )
    )
    const started = Date.now()
    const worker = await new Worker().start({ concurrency: 1 })
    cleanup(() => worker.stop())
    const reaped = await eventually(timedOut(run.id), 10_000)
    assert.exists(reaped, 'the missed tick ran at start')
    assert.isBelow(Date.now() - started, 10_000)
  }).timeout(40_000)
})
