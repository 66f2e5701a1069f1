/*
 * `npm run bench [-- --agents 32 --items 100000 --seconds 10 --wakeups 200 --scale]`: claim
 * throughput and latency of Gatehouse (the service, then HTTP) against the same cycle in raw
 * SQL, graphile-worker running a trivial task with as many workers, and log ingest through
 * POST /runs/:id/logs against a raw multi-row insert, all in one run on one database
 * `<DATABASE_URL's database>_bench` (so runs against different databases do not collide;
 * `gatehouse_bench` on a throwaway embedded Postgres when none is configured). A cycle is
 * claim + complete; completion is the same raw SQL everywhere, so the ratios compare claiming.
 * `--scale`: 1,000 projects (100 with WIP limits, 100 with budgets), 1,000,000 pending items
 * and 1,000,000 runs finished this month. Not a test: it prints numbers.
 *
 * The HTTP phases talk to a server of its own: `bin/server.ts` spawned as `npm start` runs it
 * (production mode, job worker included) on a free port against the bench's database, so its
 * CPU and memory are not the 32 clients'. Its peak RSS (VmHWM) is reported as the server's.
 * The raw, `ClaimService` and graphile-worker phases run in the bench process.
 * BENCH_SERVER=build spawns the compiled server instead (`npm run build` first).
 */
import 'reflect-metadata'
import { randomBytes } from 'node:crypto'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { mkdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import pg from 'pg'
import { Ignitor } from '@adonisjs/core'
import { freePort } from '#infrastructure/free_port'
import { prepareBenchDatabase } from './bench_database.js'
import { statements } from './statement_counter.js'

const { values: flags } = parseArgs({
  options: {
    agents: { type: 'string', default: process.env.BENCH_AGENTS ?? '32' },
    items: { type: 'string', default: process.env.BENCH_ITEMS ?? '100000' },
    projects: { type: 'string', default: process.env.BENCH_PROJECTS ?? '4' },
    seconds: { type: 'string', default: process.env.BENCH_SECONDS ?? '10' },
    wakeups: { type: 'string', default: process.env.BENCH_WAKEUPS ?? '200' },
    scale: { type: 'boolean', default: process.env.BENCH_SCALE === 'true' },
    history: { type: 'string', default: process.env.BENCH_HISTORY ?? '1000000' },
  },
})
const SCALE = flags.scale!
const AGENTS = Number(flags.agents)
const ITEMS = SCALE ? 1_000_000 : Number(flags.items)
const PROJECTS = SCALE ? 1000 : Number(flags.projects)
/** Runs finished this month before the bench starts (scale mode only). */
const HISTORY = SCALE ? Number(flags.history) : 0
/** Lines per POST /runs/:id/logs in the log-ingest phase. */
const LOG_BATCH = 500
const SECONDS = Number(flags.seconds)
const WAKEUPS = Number(flags.wakeups)

const APP_ROOT = new URL('../', import.meta.url)
const IMPORTER = (filePath: string) =>
  filePath.startsWith('./') || filePath.startsWith('../')
    ? import(new URL(filePath, APP_ROOT).href)
    : import(filePath)

type Phase = {
  name: string
  unit: 'cycles/s' | 'jobs/s' | 'lines/s'
  cycles: number
  seconds: number
  latencies: number[]
  /** The raw-SQL phase this one is compared with (itself for a baseline). */
  baseline?: Phase
  /** Statements sent to Postgres by the bench and the server during the phase, per cycle. */
  statements?: number
}

const benchUrl = await prepareBenchDatabase('bench')
process.env.DATABASE_URL = benchUrl
process.env.NODE_ENV = 'production'
process.env.APP_KEY ??= randomBytes(32).toString('base64url')
process.env.HOST = '127.0.0.1'
process.env.PORT = String(await freePort())
process.env.LOG_LEVEL ??= 'warn'
/** The server's pool is `npm start`'s (20) unless DATABASE_POOL_MAX says otherwise. */
const serverPoolMax = process.env.DATABASE_POOL_MAX
process.env.DATABASE_POOL_MAX = String(AGENTS + 4)
// The bench measures claiming and log ingest, not the quotas (docs/security.md): at 500-line
// batches a run passes the default 2,000 log lines per second.
process.env.QUOTA_AGENT_REQUESTS_PER_MINUTE ??= '100000000'
process.env.QUOTA_LOG_LINES_PER_SECOND ??= '100000000'
process.env.QUOTA_LOG_BYTES_PER_SECOND ??= '100000000000'

/** The environment of the spawned server: `npm start`'s, with the bench's quotas and pool. */
const serverEnv = { ...process.env, DATABASE_POOL_MAX: serverPoolMax }
if (serverPoolMax === undefined) delete serverEnv.DATABASE_POOL_MAX
// The bench process itself runs no worker; the server runs one, as `npm start` does.
process.env.RUN_WORKER = 'false'

// The bench process boots the app without an HTTP server, for the seed, the ClaimService
// phase and the migrations the spawned server then finds done.
const app = new Ignitor(APP_ROOT, { importer: IMPORTER })
  .tap((application) => {
    application.booting(async () => {
      await import('#start/env')
    })
    application.starting(async () => {
      const { default: Installation } = await import('#infrastructure/installation')
      await Installation.migrate()
      const { default: Worker } = await import('#infrastructure/worker')
      await Worker.migrate()
    })
  })
  .createApp('console')
await app.init()
await app.boot()
await app.start(async () => {})

const servers: Server[] = []
try {
  await run()
} finally {
  for (const server of servers) await server.stop()
  // Stops the pools and, when the bench started one, the embedded Postgres.
  await app.terminate()
}

async function run() {
  const { default: db } = await import('@adonisjs/lucid/services/db')
  const { default: Agent } = await import('#models/agent')
  const { default: ClaimService } = await import('#services/claims/claim_service')
  const { default: Claimable } = await import('#infrastructure/claimable')

  console.log(
    `claims bench${SCALE ? ' (scale)' : ''}: ${AGENTS} agents, ${ITEMS} pending items in ${PROJECTS} projects` +
      `${HISTORY ? `, ${HISTORY} runs finished this month` : ''}, ${SECONDS} s per phase`
  )
  const seedStarted = performance.now()
  const seeded = await seed(db, Agent)
  console.log(
    `  seeded in ${((performance.now() - seedStarted) / 1000).toFixed(1)} s, RSS now ${rssMegabytes(process.memoryUsage())} MB`
  )

  const complete = async (runId: number, itemId: number) => {
    await db.transaction(async (trx) => {
      await trx.rawQuery(`update runs set status = 'succeeded', finished_at = now() where id = ?`, [
        runId,
      ])
      await trx.rawQuery(
        `update work_items set status = 'completed', completed_at = now(), locked_by_agent_id = null where id = ?`,
        [itemId]
      )
    })
  }

  const phases: Phase[] = []
  const raw = await rawSqlPhase(seeded.agentIds)
  phases.push(raw)
  await vacuum(db)
  phases.push(
    await timedPhase('ClaimService.claim', raw, async (index) => {
      const started = performance.now()
      const result = await ClaimService.claim(seeded.agents[index])
      const latency = performance.now() - started
      if (result.outcome !== 'claimed') return null
      await complete(result.run.id, result.workItem.id)
      return latency
    })
  )
  phases.push(await graphileWorkerPhase(raw))

  // Log ingest: each agent holds one running run and sends it batches of LOG_BATCH lines.
  const holdRuns = async () => {
    const running: number[] = []
    for (const agent of seeded.agents) {
      const result = await ClaimService.claim(agent)
      if (result.outcome !== 'claimed') throw new Error(`log phase: claim ${result.outcome}`)
      running.push(result.run.id as number)
    }
    return running
  }
  const releaseRuns = async (running: number[]) => {
    await db.rawQuery(
      `update runs set status = 'succeeded', finished_at = now() where id = any(?::int[])`,
      [running]
    )
    await db.rawQuery(
      `update work_items set status = 'completed', completed_at = now()
        where id in (select work_item_id from runs where id = any(?::int[]))`,
      [running]
    )
  }
  const rawRunning = await holdRuns()
  const rawLogs = await rawLogPhase(rawRunning)
  phases.push(rawLogs)
  await releaseRuns(rawRunning)
  await vacuum(db)

  // The server starts only now: the phases above hold up to 3 pools of AGENTS connections
  // in this process, and Postgres's 100 connections must leave room for the server's and
  // everyone else's. With BENCH_CPU_PROFILE each HTTP phase gets a server of its own, so each
  // profile is one phase's (and a boot's); otherwise one server serves them all, as in
  // production.
  let server = await startServer('http-claims')
  const claimsServer = server
  phases.push(
    await timedPhase(
      'POST /api/v1/claims',
      raw,
      async (index) => {
        const started = performance.now()
        const response = await fetch(`${claimsServer.baseUrl}/api/v1/claims`, {
          method: 'POST',
          headers: {
            'authorization': `Bearer ${seeded.tokens[index]}`,
            'content-type': 'application/json',
          },
          body: '{}',
        })
        const latency = performance.now() - started
        if (response.status !== 201) {
          await response.body?.cancel()
          return null
        }
        const body = (await response.json()) as { run: { id: number }; work_item: { id: number } }
        await complete(body.run.id, body.work_item.id)
        return latency
      },
      1,
      server
    )
  )
  if (process.env.BENCH_CPU_PROFILE) {
    await server.stop()
    server = await startServer('http-logs')
  }
  const logsServer = server

  const running = await holdRuns()
  const batch = JSON.stringify({
    lines: Array.from({ length: LOG_BATCH }, (_, i) => ({
      level: 'info',
      stream: 'stdout',
      message: `bench line ${i}: compiling module ${i % 17} of the project, nothing to see here`,
    })),
  })
  phases.push(
    await timedPhase(
      'POST /runs/:id/logs',
      rawLogs,
      async (index) => {
        const started = performance.now()
        const response = await fetch(`${logsServer.baseUrl}/api/v1/runs/${running[index]}/logs`, {
          method: 'POST',
          headers: {
            'authorization': `Bearer ${seeded.tokens[index]}`,
            'content-type': 'application/json',
          },
          body: batch,
        })
        await response.body?.cancel()
        if (response.status !== 202) throw new Error(`log ingest: ${response.status}`)
        return performance.now() - started
      },
      LOG_BATCH,
      server
    )
  )
  await releaseRuns(running)

  console.log(
    `\n${'phase'.padEnd(28)} ${'rate'.padStart(9)} ${'unit'.padEnd(9)} ${'vs raw'.padStart(7)} ${'p50'.padStart(10)} ${'p99'.padStart(10)} ${'stmts/cycle'.padStart(12)}`
  )
  for (const phase of phases) {
    const rate = phase.cycles / phase.seconds
    const base = phase.baseline ?? phase
    console.log(
      `${phase.name.padEnd(28)} ${rate.toFixed(0).padStart(9)} ${phase.unit.padEnd(9)} ` +
        `${(rate / (base.cycles / base.seconds)).toFixed(2).padStart(7)} ` +
        `${ms(percentile(phase.latencies, 50)).padStart(10)} ${ms(percentile(phase.latencies, 99)).padStart(10)} ` +
        `${phase.statements === undefined ? '–'.padStart(12) : phase.statements.toFixed(1).padStart(12)}`
    )
  }

  const wakeups = await wakeupPhase(db, Claimable, logsServer.baseUrl, seeded, complete)
  console.log(
    `\nlong-poll wake-up (${wakeups.length} items, item committed → claim answered): ` +
      `p50 ${ms(percentile(wakeups, 50))}, p99 ${ms(percentile(wakeups, 99))}`
  )
  let peak = 0
  for (const each of servers) peak = Math.max(peak, await each.peakRssBytes())
  console.log(
    `server process peak RSS: ${(peak / 1024 / 1024).toFixed(0)} MB (VmHWM of ${process.env.BENCH_SERVER === 'build' ? 'build/bin/server.js' : 'bin/server.ts'})` +
      `; bench process (clients, raw pools, ClaimService phase): ` +
      `${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`
  )
}

type ServerStats = {
  statements: number
  statementsByText: [string, number][]
  maxRssBytes: number
  rssBytes: number
  heapUsedBytes: number
  heapTotalBytes: number
  externalBytes: number
}
type Server = {
  baseUrl: string
  stats(): Promise<ServerStats>
  peakRssBytes(): Promise<number>
  stop(): Promise<void>
}

/**
 * Spawns `bin/server.ts` as `npm start` runs it, with bench/server_probe.ts loaded for the
 * statement counts and memory, and waits for /health. `profileName`: with BENCH_CPU_PROFILE,
 * the server's V8 CPU profile is written to <dir>/<profileName>/ when it stops.
 */
async function startServer(profileName: string): Promise<Server> {
  const port = await freePort()
  const baseUrl = `http://127.0.0.1:${port}`
  // BENCH_SERVER=build: the compiled server (`npm run build`, then build/bin/server.js) with
  // no TypeScript loader; the probe's types are stripped by Node itself.
  const fromBuild = process.env.BENCH_SERVER === 'build'
  const args = [
    ...(fromBuild ? [] : ['--import=@poppinss/ts-exec']),
    '--enable-source-maps',
    `--import=${new URL('./server_probe.ts', import.meta.url).href}`,
  ]
  if (process.env.BENCH_CPU_PROFILE) {
    const directory = join(process.env.BENCH_CPU_PROFILE, profileName)
    mkdirSync(directory, { recursive: true })
    args.push('--cpu-prof', `--cpu-prof-dir=${directory}`)
  }
  args.push(fromBuild ? 'bin/server.js' : 'bin/server.ts')
  const child = spawn(process.execPath, args, {
    cwd: fileURLToPath(new URL(fromBuild ? 'build/' : './', APP_ROOT)),
    env: { ...serverEnv, DATABASE_URL: benchUrl, HOST: '127.0.0.1', PORT: String(port) },
    // Its banner and first-admin password are of no interest; its errors are.
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  })
  const exited = once(child, 'exit')
  let running = true
  void exited.then(() => (running = false))
  const bootDeadline = performance.now() + 180_000
  while (true) {
    if (!running) throw new Error(`the server exited during start-up (${child.exitCode})`)
    if (performance.now() > bootDeadline) throw new Error('the server did not answer /health')
    const healthy = await fetch(`${baseUrl}/health`).then(
      async (response) => {
        await response.body?.cancel()
        return response.ok
      },
      () => false
    )
    if (healthy) break
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
  let lastPeakBytes = 0
  const server: Server = {
    baseUrl,
    async stats(): Promise<ServerStats> {
      // The server sends messages of its own (AdonisJS announces itself when ready).
      const answer = new Promise<ServerStats>((resolve) => {
        const receive = (message: { type?: string }) => {
          if (message?.type !== 'stats') return
          child.off('message', receive)
          resolve(message as ServerStats)
        }
        child.on('message', receive)
      })
      child.send({ type: 'stats' })
      return answer
    },
    /** VmHWM from /proc (the probe's getrusage figure where there is none); kept after exit. */
    async peakRssBytes() {
      if (!running) return lastPeakBytes
      let status = ''
      try {
        status = readFileSync(`/proc/${child.pid}/status`, 'utf8')
      } catch {}
      const match = /^VmHWM:\s+(\d+) kB/m.exec(status)
      if (match) lastPeakBytes = Number(match[1]) * 1024
      else {
        const stats = await this.stats()
        lastPeakBytes = stats.maxRssBytes
      }
      return lastPeakBytes
    },
    async stop() {
      if (!running) return
      await this.peakRssBytes()
      child.kill('SIGTERM')
      await exited
    },
  }
  servers.push(server)
  return server
}

/**
 * AGENTS loops for SECONDS, each doing cycles; returns the latencies of successful cycles.
 * `perCycle`: units one cycle counts for (lines per log batch).
 */
async function timedPhase(
  name: string,
  baseline: Phase | undefined,
  cycle: (index: number) => Promise<number | null>,
  perCycle = 1,
  server?: Server
): Promise<Phase> {
  const latencies: number[] = []
  const serverBefore = server ? await server.stats() : undefined
  const serverStatementsBefore = serverBefore?.statements ?? 0
  const deadline = performance.now() + SECONDS * 1000
  const started = performance.now()
  const statementsBefore = statements.sent
  statements.byText.clear()
  await Promise.all(
    Array.from({ length: AGENTS }, async (_, index) => {
      while (performance.now() < deadline) {
        const latency = await cycle(index)
        if (latency === null) break
        latencies.push(latency)
      }
    })
  )
  const seconds = (performance.now() - started) / 1000
  const serverStats = server ? await server.stats() : undefined
  const phase: Phase = {
    name,
    unit: perCycle === 1 ? 'cycles/s' : 'lines/s',
    cycles: latencies.length * perCycle,
    seconds,
    latencies,
    baseline,
    statements:
      (statements.sent -
        statementsBefore +
        (serverStats ? serverStats.statements - serverStatementsBefore : 0)) /
      Math.max(1, latencies.length),
  }
  console.log(
    `  ${name}: ${phase.cycles} ${perCycle === 1 ? 'cycles' : 'lines'}, RSS now ${rssMegabytes(process.memoryUsage())} MB` +
      (serverStats
        ? `; server RSS now ${rssMegabytes({ rss: serverStats.rssBytes, heapUsed: serverStats.heapUsedBytes, heapTotal: serverStats.heapTotalBytes, external: serverStats.externalBytes })} MB, peak ${((await server!.peakRssBytes()) / 1024 / 1024).toFixed(0)} MB`
        : '')
  )
  if (process.env.BENCH_STATEMENTS) {
    const byText = new Map(statements.byText)
    for (const [text, count] of serverStats?.statementsByText ?? [])
      byText.set(text, (byText.get(text) ?? 0) + count)
    const top = [...byText].sort((a, b) => b[1] - a[1]).slice(0, 15)
    for (const [text, count] of top)
      console.log(`    ${(count / Math.max(1, latencies.length)).toFixed(2).padStart(6)}  ${text}`)
  }
  return phase
}

/** The same cycle with no Gatehouse code: SKIP LOCKED claim + run insert + item update, then two updates. */
async function rawSqlPhase(agentIds: number[]): Promise<Phase> {
  const pool = new pg.Pool({ connectionString: benchUrl, max: AGENTS })
  pool.on('error', () => {})
  try {
    return await timedPhase('raw SQL (baseline)', undefined, async (index) => {
      const client = await pool.connect()
      try {
        const started = performance.now()
        await client.query('begin')
        const picked = await client.query(
          `select id, project_id, attempts from work_items
            where status = 'pending' and run_after <= now()
            order by priority desc, run_after, id limit 1 for update skip locked`
        )
        const item = picked.rows[0]
        if (!item) {
          await client.query('rollback')
          return null
        }
        const inserted = await client.query(
          `insert into runs (work_item_id, project_id, agent_id, attempt, status, started_at, lease_expires_at)
           values ($1, $2, $3, $4, 'running', now(), now() + interval '600 seconds') returning id`,
          [item.id, item.project_id, agentIds[index], item.attempts + 1]
        )
        await client.query(
          `update work_items set status = 'in_progress', locked_by_agent_id = $1, locked_at = now(),
                  attempts = attempts + 1, updated_at = now() where id = $2`,
          [agentIds[index], item.id]
        )
        await client.query('commit')
        const latency = performance.now() - started
        await client.query('begin')
        await client.query(
          `update runs set status = 'succeeded', finished_at = now() where id = $1`,
          [inserted.rows[0].id]
        )
        await client.query(
          `update work_items set status = 'completed', completed_at = now(), locked_by_agent_id = null where id = $1`,
          [item.id]
        )
        await client.query('commit')
        return latency
      } finally {
        client.release()
      }
    })
  } finally {
    await pool.end()
  }
}

/**
 * graphile-worker 0.18 with AGENTS concurrency running a task that does nothing, on the same
 * database: more jobs are queued than it can drain in SECONDS, and the ones done are counted.
 */
async function graphileWorkerPhase(baseline: Phase): Promise<Phase> {
  const { run: runWorker, Logger } = await import('graphile-worker')
  const pool = new pg.Pool({ connectionString: benchUrl, max: AGENTS + 2 })
  pool.on('error', () => {})
  pool.on('connect', (client) => client.on('error', () => {}))
  const queued = Math.max(20_000, 6000 * SECONDS)
  try {
    await pool.query(`delete from graphile_worker._private_jobs where task_id in
                        (select id from graphile_worker._private_tasks where identifier = 'bench_trivial')`)
    await pool.query(
      `select graphile_worker.add_jobs(array(
         select row('bench_trivial', '{}'::json, null, null, null, null, null, null)::graphile_worker.job_spec
           from generate_series(1, $1::int)))`,
      [queued]
    )
    const remaining = async () => {
      const { rows } = await pool.query(
        `select count(*)::int as n from graphile_worker._private_jobs j
           join graphile_worker._private_tasks t on t.id = j.task_id
          where t.identifier = 'bench_trivial'`
      )
      return rows[0].n as number
    }
    const before = await remaining()
    const started = performance.now()
    const runner = await runWorker({
      pgPool: pool,
      concurrency: AGENTS,
      noHandleSignals: true,
      pollInterval: 1000,
      taskList: { bench_trivial: async () => {} },
      logger: new Logger(() => () => {}),
    })
    await new Promise((resolve) => setTimeout(resolve, SECONDS * 1000))
    const done = before - (await remaining())
    const seconds = (performance.now() - started) / 1000
    await runner.stop()
    console.log(`  graphile-worker (trivial task): ${done} jobs of ${before} queued`)
    return {
      name: 'graphile-worker trivial job',
      unit: 'jobs/s',
      cycles: done,
      seconds,
      latencies: [],
      baseline,
    }
  } finally {
    await pool.end()
  }
}

/** Log ingest with no Gatehouse code: the sequence bump and one multi-row insert per batch. */
async function rawLogPhase(runIds: number[]): Promise<Phase> {
  const pool = new pg.Pool({ connectionString: benchUrl, max: AGENTS })
  pool.on('error', () => {})
  const messages = Array.from(
    { length: LOG_BATCH },
    (_, i) => `bench line ${i}: compiling module ${i % 17} of the project, nothing to see here`
  )
  try {
    return await timedPhase(
      'raw SQL log insert (baseline)',
      undefined,
      async (index) => {
        const client = await pool.connect()
        try {
          const started = performance.now()
          await client.query('begin')
          const { rows } = await client.query(
            `update runs set last_log_seq = last_log_seq + $2 where id = $1 returning last_log_seq`,
            [runIds[index], LOG_BATCH]
          )
          await client.query(
            `insert into run_logs (run_id, seq, level, stream, message)
             select $1, $2 + n, 'info', 'stdout', m from unnest($3::text[]) with ordinality as t(m, n)`,
            [runIds[index], rows[0].last_log_seq - LOG_BATCH, messages]
          )
          await client.query('commit')
          return performance.now() - started
        } finally {
          client.release()
        }
      },
      LOG_BATCH
    )
  } finally {
    await pool.end()
  }
}

/**
 * One agent long-polls; each round an item is created and announced in one transaction, and
 * the time from its commit to the claim's answer is recorded. The agent is limited to a
 * project of its own, so the waiting claim finds nothing until the new item arrives.
 */
async function wakeupPhase(
  db: any,
  Claimable: any,
  baseUrl: string,
  seeded: Awaited<ReturnType<typeof seed>>,
  complete: (runId: number, itemId: number) => Promise<void>
) {
  const { rows } = await db.rawQuery(
    `insert into projects (name, slug, repo_full_name, state) values ('Wake', 'bench-wake', 'bench/wake', 'active') returning id`
  )
  const wakeProject = rows[0].id
  await db.rawQuery(`update agents set project_ids = ? where id = ?`, [
    [wakeProject],
    seeded.agentIds[0],
  ])
  const latencies: number[] = []
  for (let i = 0; i < WAKEUPS; i++) {
    const waiting = fetch(`${baseUrl}/api/v1/claims`, {
      method: 'POST',
      headers: {
        'authorization': `Bearer ${seeded.tokens[0]}`,
        'content-type': 'application/json',
      },
      body: JSON.stringify({ wait_seconds: 30 }),
    }).then(async (response) => ({
      at: performance.now(),
      status: response.status,
      body: await response.text(),
    }))
    // Long enough for the request to have looked and started waiting.
    await new Promise((resolve) => setTimeout(resolve, 20))
    let committedAt = 0
    await db.transaction(async (trx: any) => {
      await trx.rawQuery(
        `insert into work_items (project_id, title, status) values (?, 'wake up', 'pending')`,
        [wakeProject]
      )
      await Claimable.announce(trx, wakeProject)
    })
    committedAt = performance.now()
    const answered = await waiting
    if (answered.status !== 201)
      throw new Error(`wake-up ${i}: ${answered.status} ${answered.body}`)
    latencies.push(answered.at - committedAt)
    const body = JSON.parse(answered.body)
    await complete(body.run.id, body.work_item.id)
  }
  return latencies
}

async function seed(db: any, Agent: any) {
  // The bench's own scratch database: it opts out of the audit log's TRUNCATE refusal for this
  // transaction only, as the test database does (migration 0420). The seals go with the events:
  // restarted ids would otherwise look sealed already (migration 0530).
  await db.transaction(async (trx: any) => {
    await trx.rawQuery(`set local gatehouse.audit_truncate_allowed = 'on'`)
    await trx.rawQuery(
      `truncate runs, run_logs, work_item_dependencies, work_items, agent_access_tokens, agents,
                policies, projects, audit_events, audit_seals restart identity cascade`
    )
  })
  await db.rawQuery(`update settings set value = 'true' where key = 'agents_enabled'`)
  await db.rawQuery(`update settings set value = 'null' where key = 'max_parallel_runs'`)
  const agents: any[] = []
  const tokens: string[] = []
  for (let a = 0; a < AGENTS; a++) {
    const agent = await Agent.create({
      key: `bench-${a}`,
      name: `Bench agent ${a}`,
      capabilities: { work_types: ['*'], tags: [] },
      maxConcurrency: 1,
      enabled: true,
    })
    agents.push(agent)
    const token = await Agent.accessTokens.create(agent)
    tokens.push(token.value!.release())
  }
  // Scale: projects 1-100 have a WIP limit of 2, 101-150 a budget this month's history exceeds,
  // 151-200 a budget it does not. Default: project 1 has a WIP limit of half the agents, so
  // the bench pays for the WIP lock as well.
  await db.rawQuery(
    `insert into projects (name, slug, repo_full_name, state, gates_config)
     select 'Bench ' || p, 'bench-' || p, 'bench/repo-' || p, 'active',
            case when ?::boolean then
                   case when p <= 100 then '{"wip_limit": 2}'::jsonb
                        when p <= 150 then '{"monthly_budget_usd": 5}'::jsonb
                        when p <= 200 then '{"monthly_budget_usd": 1000}'::jsonb
                        else '{}'::jsonb end
                 when p = 1 then jsonb_build_object('wip_limit', greatest(1, ? / 2))
                 else '{}'::jsonb end
       from generate_series(1, ?) as p`,
    [SCALE, AGENTS, PROJECTS]
  )
  const projectIds: number[] = Array.from({ length: PROJECTS }, (_, p) => p + 1)
  await db.rawQuery(
    `insert into work_items (project_id, work_type, title, priority, run_after)
     select 1 + i % ?, 'code', 'bench item ' || i, (i::bigint * 7919) % 10, now() - make_interval(secs => i % 3600)
       from generate_series(1, ?) as i`,
    [PROJECTS, ITEMS]
  )
  if (HISTORY > 0) {
    // The month's history, written with triggers and foreign-key checks off (seeding only),
    // then counted into project_usage once, as `usage:verify --repair` would.
    await db.transaction(async (trx: any) => {
      await trx.rawQuery(`set local session_replication_role = replica`)
      await trx.rawQuery(
        `insert into work_items (project_id, work_type, title, status, attempts, completed_at)
         select 1 + i % ?, 'code', 'done ' || i, 'completed', 1, now()
           from generate_series(1, ?) as i`,
        [PROJECTS, HISTORY]
      )
      await trx.rawQuery(
        `insert into runs (work_item_id, project_id, agent_id, attempt, status, started_at,
                           finished_at, lease_expires_at, cost_usd)
         select w.id, w.project_id, ?, 1, 'succeeded', m.start + (now() - m.start) * random(),
                now(), now(), 0.01
           from work_items w, (select date_trunc('month', now() at time zone 'UTC') at time zone 'UTC' as start) m
          where w.status = 'completed'`,
        [agents[0].id]
      )
    })
    await db.rawQuery(`select count(*) from project_usage_drift(true)`)
  }
  await vacuum(db)
  return { projectIds, agents, agentIds: agents.map((agent: { id: number }) => agent.id), tokens }
}

async function vacuum(db: any) {
  await db.rawQuery('vacuum analyze work_items')
  await db.rawQuery('vacuum analyze runs')
}

function percentile(values: number[], p: number) {
  if (values.length === 0) return Number.NaN
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]
}

/** RSS, with the V8 heap's used and total size and memory outside it, in MB. */
function rssMegabytes(memory: {
  rss: number
  heapUsed: number
  heapTotal: number
  external: number
}) {
  const mb = (bytes: number) => (bytes / 1024 / 1024).toFixed(0)
  return `${mb(memory.rss)} (heap ${mb(memory.heapUsed)} of ${mb(memory.heapTotal)}, external ${mb(memory.external)})`
}

function ms(value: number) {
  return Number.isNaN(value) ? '–' : `${value.toFixed(1)} ms`
}
