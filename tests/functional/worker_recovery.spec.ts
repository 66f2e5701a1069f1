import { test } from '@japa/runner'
import { spawn, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import db from '@adonisjs/lucid/services/db'
import Worker from '#infrastructure/worker'
import WorkerRecovery from '#infrastructure/worker_recovery'
import WorkItem from '#models/work_item'
import { EXAMPLE_REPO, fakeGitHubGroup, githubProject } from '#tests/support/github_world'

const appRoot = fileURLToPath(new URL('../../', import.meta.url))

async function eventually<T>(
  probe: () => Promise<T | null | undefined | false>,
  timeoutMs: number,
  everyMs = 200
): Promise<T | null> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    const value = await probe()
    if (value) return value
    await new Promise((resolve) => setTimeout(resolve, everyMs))
  }
  return null
}

/** `npm run worker` in a process group of its own, so that SIGKILL reaches node, not only npm. */
function startWorkerProcess(githubUrl: string) {
  const child = spawn('npm', ['run', 'worker', '--', '--concurrency=1'], {
    cwd: appRoot,
    detached: true,
    env: { ...process.env, NODE_ENV: 'development', LOG_LEVEL: 'info', GITHUB_API_URL: githubUrl },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  child.stdout!.on('data', (chunk) => (output += chunk))
  child.stderr!.on('data', (chunk) => (output += chunk))
  return { child, output: () => output }
}

function killGroup(child: ChildProcess) {
  try {
    process.kill(-child.pid!, 'SIGKILL')
  } catch {}
}

test.group('crashed worker recovery', (group) => {
  const github = fakeGitHubGroup(group, { jobs: true })

  test('a job whose worker was SIGKILLed mid-job runs elsewhere within about a minute, once', async ({
    assert,
    cleanup,
  }) => {
    const project = await githubProject()
    github.fake.issue(EXAMPLE_REPO, { number: 7, labels: ['agent-ready'] })
    // The first GitHub call of the sync never answers: the worker is stuck mid-job.
    github.fake.hang(/\/issues/, 1)
    await db.rawQuery(
      `select graphile_worker.add_job('sync_github_project', json_build_object('projectId', ?::int),
         max_attempts => 3)`,
      [project.id]
    )

    const worker = startWorkerProcess(github.fake.url)
    cleanup(() => killGroup(worker.child))
    const midJob = await eventually(
      async () => github.fake.requestsTo('GET', /\/issues/).length > 0,
      60_000
    )
    assert.isTrue(midJob, `the worker never reached GitHub:\n${worker.output()}`)
    const { rows: locked } = await db.rawQuery(
      `select j.locked_by, h.beat_at from graphile_worker._private_jobs j
         left join worker_heartbeats h on h.worker_id = j.locked_by
        where j.task_id = (select id from graphile_worker._private_tasks where identifier = 'sync_github_project')`
    )
    assert.lengthOf(locked, 1)
    assert.isNotNull(locked[0].locked_by)
    assert.isNotNull(locked[0].beat_at, 'the worker heartbeats under the id it locks jobs with')

    // The process beats for each of its runners' pools (general, maintenance, notifications).
    const { rows: pools } = await db.rawQuery(
      `select worker_id from worker_heartbeats
        where pid = (select pid from worker_heartbeats where worker_id = ?) order by worker_id`,
      [locked[0].locked_by]
    )
    assert.lengthOf(pools, 3, 'one heartbeat per runner pool of the worker process')

    const exited = new Promise((resolve) => worker.child.once('exit', resolve))
    killGroup(worker.child)
    await exited
    const killedAt = Date.now()

    // What the every-minute cron task does on any surviving process, polled here.
    const recovered = await eventually(
      async () => {
        const result = await WorkerRecovery.recover()
        return result.jobs > 0 && result
      },
      WorkerRecovery.staleAfterSeconds * 1000 + 30_000,
      1000
    )
    const recoveredMs = Date.now() - killedAt
    assert.isNotNull(recovered, 'the crashed worker was never recovered')
    assert.deepEqual(
      recovered!.workers.map((w) => w.worker_id).sort(),
      pools.map((pool: { worker_id: string }) => pool.worker_id),
      "every pool of the killed process, the job's among them"
    )
    assert.isBelow(recoveredMs, WorkerRecovery.staleAfterSeconds * 1000 + 15_000)

    const survivor = await new Worker().start({ concurrency: 1, crontab: '' })
    cleanup(() => survivor.stop())
    const done = await eventually(async () => {
      const { rows } = await db.rawQuery(
        `select count(*)::int as count from graphile_worker._private_jobs`
      )
      return rows[0].count === 0
    }, 20_000)
    const ranMs = Date.now() - killedAt
    assert.isTrue(done, 'the recovered job ran on the surviving worker')
    const items = await WorkItem.query().where('project_id', project.id)
    assert.lengthOf(items, 1, 'the issue became exactly one work item')
    console.log(
      `worker recovery: unlocked ${recoveredMs} ms after SIGKILL, job done at ${ranMs} ms`
    )
  }).timeout(150_000)
})
