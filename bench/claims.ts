/*
 * `npm run bench [-- --agents 32 --items 100000 --seconds 10 --wakeups 200]`: claim throughput
 * and latency of Gatehouse (the service, then HTTP) against the same cycle in raw SQL, on a
 * dedicated database `<DATABASE_URL's database>_bench` (so runs against different databases
 * do not collide; `gatehouse_bench` on a throwaway embedded Postgres when none is configured). A cycle is claim + complete; completion is the same raw SQL everywhere, so the
 * ratios compare claiming. Not a test: it prints numbers.
 */
import 'reflect-metadata'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, chmodSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import pg from 'pg'
import { Ignitor } from '@adonisjs/core'

const { values: flags } = parseArgs({
  options: {
    agents: { type: 'string', default: process.env.BENCH_AGENTS ?? '32' },
    items: { type: 'string', default: process.env.BENCH_ITEMS ?? '100000' },
    projects: { type: 'string', default: process.env.BENCH_PROJECTS ?? '4' },
    seconds: { type: 'string', default: process.env.BENCH_SECONDS ?? '10' },
    wakeups: { type: 'string', default: process.env.BENCH_WAKEUPS ?? '200' },
  },
})
const AGENTS = Number(flags.agents)
const ITEMS = Number(flags.items)
const PROJECTS = Number(flags.projects)
const SECONDS = Number(flags.seconds)
const WAKEUPS = Number(flags.wakeups)

const APP_ROOT = new URL('../', import.meta.url)
const IMPORTER = (filePath: string) =>
  filePath.startsWith('./') || filePath.startsWith('../')
    ? import(new URL(filePath, APP_ROOT).href)
    : import(filePath)

type Phase = { name: string; cycles: number; seconds: number; latencies: number[] }

const benchUrl = await prepareDatabase()
process.env.DATABASE_URL = benchUrl
process.env.NODE_ENV = 'production'
process.env.APP_KEY ??= randomBytes(32).toString('base64url')
process.env.HOST = '127.0.0.1'
process.env.PORT = String(await freePort())
process.env.RUN_WORKER = 'false'
process.env.LOG_LEVEL ??= 'warn'
process.env.DATABASE_POOL_MAX = String(AGENTS + 4)

const ignitor = new Ignitor(APP_ROOT, { importer: IMPORTER }).tap((app) => {
  app.booting(async () => {
    await import('#start/env')
  })
  app.starting(async () => {
    const { default: Installation } = await import('#infrastructure/installation')
    await Installation.migrate()
    const { default: Worker } = await import('#infrastructure/worker')
    await Worker.migrate()
  })
})
await ignitor.httpServer().start()
const app = ignitor.getApp()!

try {
  await run()
} finally {
  // Stops the HTTP server, the pools and, when the bench started one, the embedded Postgres.
  await app.terminate()
}

async function run() {
  const { default: db } = await import('@adonisjs/lucid/services/db')
  const { default: Agent } = await import('#models/agent')
  const { default: ClaimService } = await import('#services/claims/claim_service')
  const { default: Claimable } = await import('#infrastructure/claimable')

  console.log(
    `claims bench: ${AGENTS} agents, ${ITEMS} pending items in ${PROJECTS} projects, ${SECONDS} s per phase`
  )
  const seeded = await seed(db, Agent)
  const baseUrl = `http://${process.env.HOST}:${process.env.PORT}`

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
  phases.push(await rawSqlPhase(seeded.agentIds))
  await vacuum(db)
  phases.push(
    await timedPhase('ClaimService.claim', async (index) => {
      const started = performance.now()
      const result = await ClaimService.claim(seeded.agents[index])
      const latency = performance.now() - started
      if (result.outcome !== 'claimed') return null
      await complete(result.run.id, result.workItem.id)
      return latency
    })
  )
  await vacuum(db)
  phases.push(
    await timedPhase('POST /api/v1/claims', async (index) => {
      const started = performance.now()
      const response = await fetch(`${baseUrl}/api/v1/claims`, {
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
    })
  )

  const baseline = phases[0].cycles / phases[0].seconds
  console.log('\nphase                      cycles/s   vs raw   claim p50   claim p99')
  for (const phase of phases) {
    const rate = phase.cycles / phase.seconds
    console.log(
      `${phase.name.padEnd(26)} ${rate.toFixed(0).padStart(8)}   ${(rate / baseline).toFixed(2).padStart(6)}` +
        `   ${ms(percentile(phase.latencies, 50)).padStart(9)}   ${ms(percentile(phase.latencies, 99)).padStart(9)}`
    )
  }

  const wakeups = await wakeupPhase(db, Claimable, baseUrl, seeded, complete)
  console.log(
    `\nlong-poll wake-up (${wakeups.length} items, item committed → claim answered): ` +
      `p50 ${ms(percentile(wakeups, 50))}, p99 ${ms(percentile(wakeups, 99))}`
  )
}

/** C loops for SECONDS, each doing cycles; returns claim latencies of successful cycles. */
async function timedPhase(
  name: string,
  cycle: (index: number) => Promise<number | null>
): Promise<Phase> {
  const latencies: number[] = []
  const deadline = performance.now() + SECONDS * 1000
  const started = performance.now()
  await Promise.all(
    Array.from({ length: AGENTS }, async (_, index) => {
      while (performance.now() < deadline) {
        const latency = await cycle(index)
        if (latency === null) break
        latencies.push(latency)
      }
    })
  )
  const phase = {
    name,
    cycles: latencies.length,
    seconds: (performance.now() - started) / 1000,
    latencies,
  }
  console.log(`  ${name}: ${phase.cycles} cycles`)
  return phase
}

/** The same cycle with no Gatehouse code: SKIP LOCKED claim + run insert + item update, then two updates. */
async function rawSqlPhase(agentIds: number[]): Promise<Phase> {
  const pool = new pg.Pool({ connectionString: benchUrl, max: AGENTS })
  pool.on('error', () => {})
  try {
    return await timedPhase('raw SQL (baseline)', async (index) => {
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
 * One agent long-polls; each round an item is created and announced in one transaction, and
 * the time from its commit to the claim's answer is recorded. The rest of the queue is
 * cancelled first, so the waiting claim finds nothing until the new item arrives.
 */
async function wakeupPhase(
  db: any,
  Claimable: any,
  baseUrl: string,
  seeded: Awaited<ReturnType<typeof seed>>,
  complete: (runId: number, itemId: number) => Promise<void>
) {
  await db.rawQuery(`update work_items set status = 'cancelled' where status = 'pending'`)
  await vacuum(db)
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
        [seeded.projectIds[0]]
      )
      await Claimable.announce(trx, seeded.projectIds[0])
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
  await db.rawQuery(
    `truncate runs, run_logs, work_item_dependencies, work_items, agent_access_tokens, agents,
              policies, projects, audit_events restart identity cascade`
  )
  await db.rawQuery(`update settings set value = 'true' where key = 'agents_enabled'`)
  await db.rawQuery(`update settings set value = 'null' where key = 'max_parallel_runs'`)
  const projectIds: number[] = []
  for (let p = 0; p < PROJECTS; p++) {
    // One project with a WIP limit, so the bench pays for the project lock as well.
    const gates = p === 0 ? { wip_limit: Math.max(1, Math.floor(AGENTS / 2)) } : {}
    const { rows } = await db.rawQuery(
      `insert into projects (name, slug, repo_full_name, state, gates_config)
       values (?, ?, ?, 'active', ?::jsonb) returning id`,
      [`Bench ${p}`, `bench-${p}`, `bench/repo-${p}`, JSON.stringify(gates)]
    )
    projectIds.push(rows[0].id)
  }
  await db.rawQuery(
    `insert into work_items (project_id, work_type, title, priority, run_after)
     select (?::int[])[1 + i % ?], 'code', 'bench item ' || i, (i * 7919) % 10, now() - make_interval(secs => i % 3600)
       from generate_series(1, ?) as i`,
    [projectIds, PROJECTS, ITEMS]
  )
  const agents = []
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
  await vacuum(db)
  return { projectIds, agents, agentIds: agents.map((agent: { id: number }) => agent.id), tokens }
}

async function vacuum(db: any) {
  await db.rawQuery('vacuum analyze work_items')
  await db.rawQuery('vacuum analyze runs')
}

async function prepareDatabase(): Promise<string> {
  const { default: DatabaseServer } = await import('#infrastructure/database_server')
  if (!DatabaseServer.isConfigured()) {
    const directory = mkdtempSync(join(tmpdir(), 'gatehouse-bench-'))
    chmodSync(directory, 0o755)
    await DatabaseServer.ensure({ directory, persistent: false })
  }
  const url = new URL(DatabaseServer.connectionString())
  const benchDatabase = `${decodeURIComponent(url.pathname.slice(1)) || 'gatehouse'}_bench`
  const maintenance = new URL(url)
  maintenance.pathname = '/postgres'
  const client = new pg.Client({ connectionString: maintenance.toString() })
  client.on('error', () => {})
  await client.connect()
  try {
    const exists = await client.query('select 1 from pg_database where datname = $1', [
      benchDatabase,
    ])
    if (exists.rowCount === 0)
      await client.query(`create database ${client.escapeIdentifier(benchDatabase)}`)
  } finally {
    await client.end()
  }
  url.pathname = `/${encodeURIComponent(benchDatabase)}`
  return url.toString()
}

function percentile(values: number[], p: number) {
  if (values.length === 0) return Number.NaN
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]
}

function ms(value: number) {
  return `${value.toFixed(1)} ms`
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0))
    })
  })
}
