import { test } from '@japa/runner'
import { spawn, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { fileURLToPath } from 'node:url'
import db from '@adonisjs/lucid/services/db'
import DatabaseServer from '#infrastructure/database_server'
import AuditChain from '#services/audit/audit_chain'
import { freePort } from '#infrastructure/free_port'
import { emptyWorld, setSettings } from '#tests/support/test_database'
import { ProjectFactory } from '#database/factories/project_factory'
import { WorkItemFactory } from '#database/factories/work_item_factory'
import { AgentFactory } from '#database/factories/agent_factory'
import { agentWithToken } from '#tests/support/claimed_run'

const appRoot = fileURLToPath(new URL('../../../', import.meta.url))
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** A Gatehouse process on the test database; resolves once it says it is up. */
async function startProcess(argv: string[], env: NodeJS.ProcessEnv, readyLine: string) {
  const child = spawn('npm', argv, {
    cwd: appRoot,
    env: {
      ...process.env,
      DATABASE_URL: DatabaseServer.connectionString(),
      HOST: '127.0.0.1',
      NODE_ENV: 'development',
      LOG_LEVEL: 'info',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  })
  let output = ''
  child.stdout!.on('data', (chunk) => (output += chunk))
  child.stderr!.on('data', (chunk) => (output += chunk))
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`not up within 120 s:\n${output}`)), 120_000)
    child.stdout!.on('data', () => {
      if (output.includes(readyLine)) {
        clearTimeout(timer)
        resolve()
      }
    })
    child.once('exit', (code) => reject(new Error(`exited early (${code}):\n${output}`)))
  })
  return child
}

async function stop(child: ChildProcess) {
  if (child.exitCode !== null) return
  const exited = new Promise((resolve) => child.once('exit', resolve))
  process.kill(-child.pid!, 'SIGTERM')
  await Promise.race([exited, sleep(15_000)])
  if (child.exitCode === null) process.kill(-child.pid!, 'SIGKILL')
}

/** Every limit, read in one snapshot: how far above it anything is right now. */
const OVER_LIMITS = `
select
  (select count(*)::int from agents a
    where (select count(*) from runs r where r.agent_id = a.id and r.status = 'running') > a.max_concurrency)
    as agents_over,
  (select count(*)::int from projects p
    where jsonb_typeof(p.gates_config -> 'wip_limit') = 'number'
      and (select count(*) from work_items w
            where w.project_id = p.id and w.status in ('in_progress', 'verifying'))
          > (p.gates_config ->> 'wip_limit')::int)
    as projects_over,
  (select count(*)::int from runs where status = 'running') as running,
  (select count(*)::int from (select 1 from runs where status = 'running'
                               group by work_item_id having count(*) > 1) d)
    as items_twice`

test.group('Claiming across processes', (group) => {
  group.each.setup(() => emptyWorld())

  test('3 web and 2 worker processes, 40 claimers: no limit breached, no item claimed twice', async ({
    assert,
    cleanup,
  }) => {
    const wipThree = await ProjectFactory.merge({ gatesConfig: { wip_limit: 3 } }).create()
    const wipFive = await ProjectFactory.merge({ gatesConfig: { wip_limit: 5 } }).create()
    const open = await ProjectFactory.create()
    const agents = await Promise.all(
      [1, 1, 2, 2, 3, 3, 4, 4, 5, 5].map((maxConcurrency) =>
        agentWithToken(AgentFactory.merge({ maxConcurrency }).create())
      )
    )
    for (let i = 0; i < 240; i++) {
      await WorkItemFactory.apply('due')
        .merge({ projectId: [wipThree, wipFive, open][i % 3].id, priority: i % 4 })
        .create()
    }
    const cap = 12
    await setSettings({ max_parallel_runs: cap })

    const appKey = randomBytes(32).toString('base64url')
    const ports = [0, 0, 0]
    const processes: ChildProcess[] = []
    cleanup(async () => {
      await Promise.all(processes.map(stop))
    })
    // A free port can be taken by another process before ours binds it: then another port.
    const web = async (index: number): Promise<ChildProcess> => {
      for (let attempt = 1; ; attempt++) {
        ports[index] = await freePort()
        try {
          return await startProcess(
            ['start'],
            { PORT: String(ports[index]), APP_KEY: appKey, RUN_WORKER: 'false' },
            'Gatehouse is running at'
          )
        } catch (error) {
          if (attempt === 3 || !String(error).includes('EADDRINUSE')) throw error
        }
      }
    }
    const worker = () => startProcess(['run', 'worker'], { APP_KEY: appKey }, 'worker running')
    // One after another: processes booting at once race on the migration lock (Lucid fails
    // with "unable to release database lock"), see README "Processes".
    for (const start of [() => web(0), () => web(1), () => web(2), worker, worker]) {
      processes.push(await start())
    }

    let done = false
    const worst = { agents_over: 0, projects_over: 0, running: 0, items_twice: 0 }
    const sampler = (async () => {
      while (!done) {
        const { rows } = await db.rawQuery(OVER_LIMITS)
        for (const key of Object.keys(worst) as (keyof typeof worst)[]) {
          worst[key] = Math.max(worst[key], rows[0][key])
        }
        await sleep(5)
      }
    })()

    // The audit chain is sealed after commit, without ordering the writers: sealing all along
    // must neither deadlock nor slow the claims, and must seal every event once.
    let sealerRuns = 0
    const sealer = (async () => {
      while (!done) {
        await AuditChain.seal()
        sealerRuns++
        await sleep(50)
      }
    })()

    const claimed: number[] = []
    async function claimer(index: number) {
      const { token } = agents[index % agents.length]
      const base = `http://127.0.0.1:${ports[index % ports.length]}/api/v1`
      const headers = { 'authorization': `Bearer ${token}`, 'content-type': 'application/json' }
      while (!done) {
        const response = await fetch(`${base}/claims`, { method: 'POST', headers, body: '{}' })
        if (response.status === 201) {
          const body = (await response.json()) as { run: { id: number }; work_item: { id: number } }
          claimed.push(body.work_item.id)
          await sleep(Math.floor(Math.random() * 30))
          const completed = await fetch(`${base}/runs/${body.run.id}/complete`, {
            method: 'POST',
            headers,
            body: JSON.stringify({ outcome: 'succeeded' }),
          })
          await completed.body?.cancel()
          if (completed.status !== 200) throw new Error(`complete: ${completed.status}`)
        } else {
          await response.body?.cancel()
          if (![204, 429].includes(response.status)) throw new Error(`claim: ${response.status}`)
          await sleep(10 + Math.floor(Math.random() * 20))
        }
      }
    }
    const claimingSince = Date.now()
    const claimers = Array.from({ length: 40 }, (_, index) => claimer(index))
    const deadline = Date.now() + 150_000
    while (Date.now() < deadline) {
      const { rows } = await db.rawQuery(
        `select count(*)::int as n from work_items where status <> 'completed'`
      )
      if (rows[0].n === 0) break
      await sleep(200)
    }
    done = true
    await Promise.all([...claimers, sampler, sealer])
    const claimingSeconds = (Date.now() - claimingSince) / 1000

    const { running, ...breaches } = worst
    assert.deepEqual(breaches, { agents_over: 0, projects_over: 0, items_twice: 0 })
    assert.isAtMost(running, cap, 'the global cap')
    assert.isAtLeast(running, 2, 'claims ran side by side')
    assert.lengthOf(claimed, 240, 'every item claimed once')
    assert.lengthOf(new Set(claimed), 240)
    const { rows } = await db.rawQuery(
      `select count(*)::int as items, (select count(*)::int from runs) as runs
         from work_items where status = 'completed'`
    )
    assert.deepEqual(rows[0], { items: 240, runs: 240 })

    await AuditChain.seal()
    const { rows: chain } = await db.rawQuery(
      `select (select count(*)::int from audit_events) as events,
              (select count(*)::int from audit_seals) as seals,
              (select count(*)::int from audit_events e
                where not exists (select 1 from audit_seals s where s.audit_event_id = e.id))
                as unsealed`
    )
    console.log(
      `  240 items claimed and completed in ${claimingSeconds.toFixed(1)} s; the sealer ran ` +
        `${sealerRuns} times meanwhile; ${chain[0].events} audit events, each sealed once`
    )
    assert.isAbove(sealerRuns, 1)
    assert.isAtLeast(chain[0].events, 480, 'a claim and a completion event per item')
    assert.deepEqual(chain[0], { events: chain[0].events, seals: chain[0].events, unsealed: 0 })
    const report = await AuditChain.verify()
    assert.equal(report.checked, chain[0].events)
    assert.isNull(report.altered)
    assert.isNull(report.brokenLink)
  }).timeout(300_000)
})
