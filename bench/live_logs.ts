/*
 * `npm run bench:live-logs [-- --seconds 10 --pushers 4 --users 40 --streams-per-user 5]`: the
 * cost of live-log viewers to a run's log intake (docs/security.md, "Live-log fan-out"). One
 * agent run; `--pushers` concurrent POST /api/v1/runs/:id/logs loops of 500 lines each for
 * `--seconds` with no viewer, then again with users × streams-per-user Server-Sent Events
 * clients on GET /runs/:id/logs/stream (users signed in through POST /login, each holding the
 * per-user maximum of live streams). The viewers run in a child process of their own, as
 * browsers would, and count the lines they receive; the run is then finished so that every
 * stream drains and ends. Prints intake lines/s for both phases and their ratio, the stream's
 * Postgres reads per pushed batch, and the lines each viewer received (min/max against the
 * lines pushed). Runs on a database of its own, `<DATABASE_URL's database>_bench_live_logs`
 * (a throwaway embedded Postgres when none is configured). Not a test: it prints numbers.
 */
import 'reflect-metadata'
import { fork } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { loadavg } from 'node:os'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import pg from 'pg'
import { prepareBenchDatabase } from './bench_database.js'

/** Lines per POST /runs/:id/logs, as `npm run bench`'s log phase sends them. */
const LOG_BATCH = 500
const PASSWORD = 'bench live logs password'

type FollowerCommand =
  | { type: 'open'; baseUrl: string; path: string; cookies: string[]; perUser: number }
  | { type: 'mark' }
type FollowerReport =
  | { type: 'opened'; refused: string[] }
  | { type: 'marked'; received: number[]; cpuSeconds: number }
  | { type: 'done'; received: number[]; endSeqs: (number | null)[]; failures: string[] }

if (process.argv.includes('--followers')) {
  followerProcess()
} else {
  await benchmark()
}

async function benchmark() {
  const { values: flags } = parseArgs({
    options: {
      'seconds': { type: 'string', default: process.env.BENCH_SECONDS ?? '10' },
      'pushers': { type: 'string', default: process.env.BENCH_PUSHERS ?? '4' },
      'users': { type: 'string', default: process.env.BENCH_USERS ?? '40' },
      'streams-per-user': { type: 'string', default: process.env.BENCH_STREAMS_PER_USER ?? '5' },
    },
  })
  const SECONDS = Number(flags.seconds)
  const PUSHERS = Number(flags.pushers)
  const USERS = Number(flags.users)
  const STREAMS_PER_USER = Number(flags['streams-per-user'])

  // Statements this process (the server) sends to Postgres that read run_logs: the streams'.
  let logReads = 0
  const sendQuery = pg.Client.prototype.query as (...args: unknown[]) => unknown
  pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
    const config = args[0] as string | { text?: string }
    const text = typeof config === 'string' ? config : (config?.text ?? '')
    if (/^\s*select\b/i.test(text) && /\bfrom\s+"?run_logs"?/i.test(text)) logReads++
    return sendQuery.apply(this, args)
  } as typeof pg.Client.prototype.query

  const { Ignitor } = await import('@adonisjs/core')
  const { freePort } = await import('#infrastructure/free_port')
  process.env.DATABASE_URL = await prepareBenchDatabase('bench_live_logs')
  process.env.NODE_ENV = 'production'
  process.env.APP_KEY ??= randomBytes(32).toString('base64url')
  process.env.HOST = '127.0.0.1'
  process.env.PORT = String(await freePort())
  process.env.RUN_WORKER = 'false'
  process.env.LOG_LEVEL ??= 'warn'
  process.env.DATABASE_POOL_MAX = String(PUSHERS + 8)
  // The run's log quotas (2,000 lines/s by default) would cap intake long before viewers do:
  // they are lifted, as in `npm run bench`. The per-user live-stream cap is kept (5).
  process.env.QUOTA_AGENT_REQUESTS_PER_MINUTE ??= '100000000'
  process.env.QUOTA_LOG_LINES_PER_SECOND ??= '100000000'
  process.env.QUOTA_LOG_BYTES_PER_SECOND ??= '100000000000'
  process.env.MAX_LOG_BYTES_PER_RUN ??= '100000000000'

  const appRoot = new URL('../', import.meta.url)
  const ignitor = new Ignitor(appRoot, {
    importer: (filePath: string) =>
      filePath.startsWith('./') || filePath.startsWith('../')
        ? import(new URL(filePath, appRoot).href)
        : import(filePath),
  }).tap((app) => {
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
  const followers = fork(fileURLToPath(import.meta.url), ['--followers'], {
    execArgv: process.execArgv,
    stdio: 'inherit',
  })
  try {
    await measure()
  } finally {
    followers.kill()
    await app.terminate()
  }

  async function measure() {
    const { default: db } = await import('@adonisjs/lucid/services/db')
    const { default: RunLogStream } = await import('#services/runs/run_log_stream')
    const { urlFor } = await import('@adonisjs/core/services/url_builder')
    const baseUrl = `http://${process.env.HOST}:${process.env.PORT}`
    const seeded = await seed(db, USERS)
    const pushUrl = `${baseUrl}${urlFor('api.runs.logs', { id: seeded.runId })}`
    console.log(
      `live-log fan-out bench: 1 run, ${PUSHERS} pushers × ${LOG_BATCH}-line batches, ` +
        `${SECONDS} s per phase, ${USERS} users × ${STREAMS_PER_USER} live streams; ` +
        `load average ${loadAverage()}`
    )

    const cookies: string[] = []
    for (const email of seeded.emails) cookies.push(await signIn(baseUrl, email))

    const body = JSON.stringify({
      lines: Array.from({ length: LOG_BATCH }, (_, i) => ({
        level: 'info',
        stream: 'stdout',
        message: `bench line ${i}: compiling module ${i % 17} of the project, nothing to see here`,
      })),
    })
    const push = async () => {
      let batches = 0
      const deadline = performance.now() + SECONDS * 1000
      const started = performance.now()
      await Promise.all(
        Array.from({ length: PUSHERS }, async () => {
          while (performance.now() < deadline) {
            const response = await fetch(pushUrl, {
              method: 'POST',
              headers: {
                'authorization': `Bearer ${seeded.token}`,
                'content-type': 'application/json',
              },
              body,
            })
            await response.body?.cancel()
            if (response.status !== 202) throw new Error(`log push: ${response.status}`)
            batches++
          }
        })
      )
      return { batches, seconds: (performance.now() - started) / 1000 }
    }

    const alone = await push()
    const aloneRate = (alone.batches * LOG_BATCH) / alone.seconds
    console.log(`  0 viewers: ${alone.batches * LOG_BATCH} lines in ${alone.seconds.toFixed(1)} s`)

    const lastSeqBefore = await runLastSeq(db, seeded.runId)
    const streamPath = `${urlFor('runs.logs.stream', { id: seeded.runId })}?after=${lastSeqBefore}`
    const opened = await ask(followers, {
      type: 'open',
      baseUrl,
      path: streamPath,
      cookies,
      perUser: STREAMS_PER_USER,
    })
    if (opened.type !== 'opened') throw new Error('viewers did not open')
    const viewers = USERS * STREAMS_PER_USER - opened.refused.length
    if (opened.refused.length > 0)
      console.log(`  ${opened.refused.length} streams refused: ${opened.refused[0]}`)
    // The 6th stream of a user must be refused (the quota this bench runs under).
    const sixth = await fetch(`${baseUrl}${streamPath}`, { headers: { cookie: cookies[0] } })
    await sixth.body?.cancel()
    // Opening a stream reads the backlog once per viewer; only reads during the push count.
    await new Promise((resolve) => setTimeout(resolve, 500))

    const readsBefore = RunLogStream.reads
    const logReadsBefore = logReads
    const cpuBefore = process.cpuUsage()
    const crowded = await push()
    const cpu = process.cpuUsage(cpuBefore)
    const crowdedRate = (crowded.batches * LOG_BATCH) / crowded.seconds
    const streamReads = RunLogStream.reads - readsBefore
    const selects = logReads - logReadsBefore
    console.log(
      `  ${viewers} viewers: ${crowded.batches * LOG_BATCH} lines in ${crowded.seconds.toFixed(1)} s`
    )
    const marked = await ask(followers, { type: 'mark' })
    const lastSeq = await runLastSeq(db, seeded.runId)
    const pushed = lastSeq - lastSeqBefore

    // Finishing the run ends every stream once it has sent its last line.
    const ended = waitFor(followers, 'done')
    const finishedAt = performance.now()
    await db.rawQuery(`update runs set status = 'succeeded', finished_at = now() where id = ?`, [
      seeded.runId,
    ])
    const done = await ended
    if (done.type !== 'done') throw new Error('viewers did not finish')
    const drainSeconds = (performance.now() - finishedAt) / 1000
    // The ended requests still write their sessions' last-seen; the pool must drain first.
    const pool = db.manager.get('postgres')!.connection!.pool!
    while (pool.numUsed() + pool.numPendingAcquires() > 0)
      await new Promise((resolve) => setTimeout(resolve, 100))
    const received = done.received
    const lagging = marked.type === 'marked' ? marked.received : []
    const complete = received.filter((count) => count === pushed).length
    const endedAtLast = done.endSeqs.filter((seq) => seq === lastSeq).length

    console.log(`\n${'viewers'.padEnd(10)} ${'intake lines/s'.padStart(15)} ${'vs 0'.padStart(6)}`)
    console.log(`${'0'.padEnd(10)} ${aloneRate.toFixed(0).padStart(15)} ${'1.00'.padStart(6)}`)
    console.log(
      `${String(viewers).padEnd(10)} ${crowdedRate.toFixed(0).padStart(15)} ` +
        `${(crowdedRate / aloneRate).toFixed(2).padStart(6)}`
    )
    console.log(
      `\nduring the ${viewers}-viewer phase: ${crowded.batches} batches pushed, ` +
        `${streamReads} stream reads (lines + run state, shared) = ${(streamReads / crowded.batches).toFixed(2)} per batch, ` +
        `${selects} SELECTs on run_logs = ${(selects / crowded.batches).toFixed(2)} per batch`
    )
    console.log(`6th stream of one user: ${sixth.status} (per-user cap ${STREAMS_PER_USER} kept)`)
    console.log(
      `lines received per viewer (${pushed} pushed): min ${Math.min(...received)}, max ${Math.max(...received)}; ` +
        `${complete}/${received.length} got every line, ${endedAtLast}/${received.length} ended at seq ${lastSeq}` +
        (done.failures.length ? `; failures: ${done.failures.slice(0, 3).join('; ')}` : '')
    )
    console.log(
      `CPU in the ${viewers}-viewer phase (${crowded.seconds.toFixed(1)} s): this process (server and pushers) ` +
        `${((cpu.user + cpu.system) / 1e6).toFixed(1)} s; the viewers' process ` +
        `${marked.type === 'marked' ? marked.cpuSeconds.toFixed(1) : '?'} s since it started (2 cores shared)`
    )
    if (lagging.length) {
      console.log(
        `when the pushers stopped, viewers had received min ${Math.min(...lagging)}, max ${Math.max(...lagging)} ` +
          `of those lines; all streams drained ${drainSeconds.toFixed(1)} s after the run finished`
      )
    }
    console.log(
      `load average ${loadAverage()}; server process peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`
    )
  }
}

/** One agent holding one running run, and `users` viewers who can sign in with PASSWORD. */
async function seed(db: any, users: number) {
  const { default: Agent } = await import('#models/agent')
  const { default: User } = await import('#models/user')
  const { default: ClaimService } = await import('#services/claims/claim_service')
  // The bench's own scratch database: it opts out of the audit log's TRUNCATE refusal for this
  // transaction only, as `npm run bench` does.
  await db.transaction(async (trx: any) => {
    await trx.rawQuery(`set local gatehouse.audit_truncate_allowed = 'on'`)
    await trx.rawQuery(
      `truncate runs, run_logs, work_item_dependencies, work_items, agent_access_tokens, agents,
                policies, projects, users, audit_events, audit_seals, rate_limits restart identity cascade`
    )
  })
  await db.rawQuery(`update settings set value = 'true' where key = 'agents_enabled'`)
  await db.rawQuery(`update settings set value = 'null' where key = 'max_parallel_runs'`)
  const { rows } = await db.rawQuery(
    `insert into projects (name, slug, repo_full_name, state)
     values ('Live logs', 'bench-live-logs', 'bench/live-logs', 'active') returning id`
  )
  await db.rawQuery(
    `insert into work_items (project_id, work_type, title) values (?, 'code', 'bench live logs')`,
    [rows[0].id]
  )
  const agent = await Agent.create({
    key: 'bench-live-logs',
    name: 'Bench live logs',
    capabilities: { work_types: ['*'], tags: [] },
    maxConcurrency: 1,
    enabled: true,
  })
  const accessToken = await Agent.accessTokens.create(agent)
  const token = accessToken.value!.release()
  const claimed = await ClaimService.claim(agent)
  if (claimed.outcome !== 'claimed') throw new Error(`claim: ${claimed.outcome}`)
  const emails: string[] = []
  for (let u = 0; u < users; u++) {
    const user = await User.create({
      email: `viewer-${u}@bench.invalid`,
      fullName: `Viewer ${u}`,
      password: PASSWORD,
      role: 'viewer',
      isActive: true,
    })
    emails.push(user.email)
  }
  return { runId: claimed.run.id as number, token, emails }
}

/** Signs in through the login form (CSRF token from the page); returns the cookie header. */
async function signIn(baseUrl: string, email: string) {
  const jar = new Map<string, string>()
  const keep = (response: Response) => {
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(';')
      const index = pair.indexOf('=')
      jar.set(pair.slice(0, index), pair.slice(index + 1))
    }
  }
  const cookie = () => [...jar].map(([name, value]) => `${name}=${value}`).join('; ')
  const page = await fetch(`${baseUrl}/login`, { headers: { accept: 'text/html' } })
  keep(page)
  const csrf = /name=['"]_csrf['"] value=['"]([^'"]+)['"]/.exec(await page.text())?.[1] ?? ''
  const response = await fetch(`${baseUrl}/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: {
      'cookie': cookie(),
      'accept': 'text/html',
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: new URLSearchParams({ _csrf: csrf, email, password: PASSWORD }).toString(),
  })
  keep(response)
  await response.body?.cancel()
  if (response.status !== 302 || response.headers.get('location')?.includes('/login'))
    throw new Error(`sign-in of ${email} refused: ${response.status}`)
  return cookie()
}

async function runLastSeq(db: any, runId: number) {
  const row = await db.from('runs').where('id', runId).select('last_log_seq').first()
  return Number(row.last_log_seq)
}

function ask(child: ReturnType<typeof fork>, command: FollowerCommand) {
  const answer = waitFor(child, command.type === 'open' ? 'opened' : 'marked')
  child.send(command)
  return answer
}

function waitFor(child: ReturnType<typeof fork>, type: FollowerReport['type']) {
  return new Promise<FollowerReport>((resolve, reject) => {
    const onMessage = (message: FollowerReport) => {
      if (message.type !== type) return
      child.off('message', onMessage)
      child.off('exit', onExit)
      resolve(message)
    }
    const onExit = (code: number | null) => reject(new Error(`viewer process exited (${code})`))
    child.on('message', onMessage)
    child.once('exit', onExit)
  })
}

/**
 * The viewers' process: opens `perUser` streams per cookie, counts the `line` events each
 * receives (without parsing them: the viewers' own CPU is not what is measured) and the seq
 * of its `end` event, and reports when every stream has ended.
 */
function followerProcess() {
  const EVENT = Buffer.from('event: line\n')
  let received: number[] = []
  process.on('message', async (command: FollowerCommand) => {
    if (command.type === 'mark') {
      const cpu = process.cpuUsage()
      process.send!({
        type: 'marked',
        received: [...received],
        cpuSeconds: (cpu.user + cpu.system) / 1e6,
      } satisfies FollowerReport)
      return
    }
    const streams = command.cookies.flatMap((cookie) =>
      Array.from({ length: command.perUser }, () => cookie)
    )
    received = streams.map(() => 0)
    const endSeqs: (number | null)[] = streams.map(() => null)
    const failures: string[] = []
    const refused: string[] = []
    const readers = await Promise.all(
      streams.map(async (cookie, index) => {
        const response = await fetch(`${command.baseUrl}${command.path}`, {
          headers: { cookie, accept: 'text/event-stream' },
        })
        if (response.status !== 200) {
          refused.push(`${response.status} ${await response.text()}`.slice(0, 200))
          return null
        }
        return { index, reader: response.body!.getReader() }
      })
    )
    process.send!({ type: 'opened', refused } satisfies FollowerReport)
    await Promise.all(
      readers.map(async (opened) => {
        if (!opened) return
        const { index, reader } = opened
        let carry = Buffer.alloc(0)
        let tail = Buffer.alloc(0)
        try {
          while (true) {
            const { value, done } = await reader.read()
            if (done) break
            const text = Buffer.concat([carry, value])
            let from = 0
            let at: number
            while ((at = text.indexOf(EVENT, from)) !== -1) {
              received[index]++
              from = at + EVENT.length
            }
            // A partial match at the end is completed by the next chunk.
            carry = text.subarray(Math.max(from, text.length - EVENT.length + 1))
            tail = Buffer.concat([tail, value]).subarray(-400)
          }
          const end = /event: end\ndata: (.*)\n/.exec(tail.toString())
          endSeqs[index] = end ? JSON.parse(end[1]).last_seq : null
        } catch (error) {
          failures.push(String(error))
        }
      })
    )
    process.send!({ type: 'done', received, endSeqs, failures } satisfies FollowerReport)
  })
}

function loadAverage() {
  return loadavg()
    .map((load) => load.toFixed(2))
    .join(', ')
}
