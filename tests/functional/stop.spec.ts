import { test } from '@japa/runner'
import { spawn, execFileSync, type ChildProcess } from 'node:child_process'
import { chmodSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import db from '@adonisjs/lucid/services/db'
import { freePort } from '#infrastructure/free_port'
import { killGatehouse, startGatehouse } from '#tests/support/gatehouse_process'
import { emptyWorld } from '#tests/support/test_database'
import { AgentFactory } from '#database/factories/agent_factory'
import { agentWithToken } from '#tests/support/claimed_run'

const appRoot = fileURLToPath(new URL('../../', import.meta.url))
const STOP_LIMIT_MS = 10_000

/** `npm start` as a newcomer runs it, on the given data directory (and database, when given). */
function exited(child: ChildProcess) {
  return new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) {
      resolve({ code: child.exitCode, signal: child.signalCode })
    } else child.once('exit', (code, signal) => resolve({ code, signal }))
  })
}

/** Sends SIGTERM and measures how long the process takes to exit. */
async function terminate(child: ChildProcess) {
  const started = Date.now()
  child.kill('SIGTERM')
  const outcome = await Promise.race([
    exited(child),
    new Promise<null>((resolve) => setTimeout(() => resolve(null), STOP_LIMIT_MS + 5000)),
  ])
  if (!outcome) killGatehouse(child)
  return { outcome, ms: Date.now() - started }
}

async function healthAnswers(port: number) {
  try {
    const response = await fetch(`http://127.0.0.1:${port}/health`)
    return response.status === 200
  } catch {
    return false
  }
}

async function waitForHealth(
  port: number,
  server: { child: ChildProcess; output: () => string },
  timeoutMs = 60_000
) {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline && server.child.exitCode === null) {
    if (await healthAnswers(port)) return
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  throw new Error(`/health never answered:\n${server.output()}`)
}

function postgresProcessesFor(dataDir: string) {
  try {
    return execFileSync('pgrep', ['-f', `postgres.*${dataDir}`], { encoding: 'utf8' }).trim()
  } catch {
    return ''
  }
}

/**
 * The moments of a start-up a stop may fall on: before anything, while Postgres and the
 * migrations start, the instant /health first answers (the worker is still starting), and
 * after the start. Spread over the iterations, each iteration its own moment.
 */
async function stopAtSomeMoment(
  iteration: number,
  port: number,
  server: { child: ChildProcess; output: () => string },
  startMs: number
) {
  const kind = iteration % 4
  if (kind === 1) await waitForHealth(port, server)
  else if (kind === 3) {
    await waitForHealth(port, server)
    await new Promise((resolve) => setTimeout(resolve, 300))
  } else {
    const fraction = ((iteration * 37) % 100) / 100
    await new Promise((resolve) => setTimeout(resolve, Math.round(startMs * fraction)))
  }
  return terminate(server.child)
}

async function timeToHealth(dataDir: string, databaseUrl?: string) {
  const port = await freePort()
  const started = Date.now()
  const server = startGatehouse(['start'], dataDir, port, databaseUrl)
  await waitForHealth(port, server)
  const ms = Date.now() - started
  await terminate(server.child)
  return ms
}

test.group('Stopping (process level)', (group) => {
  group.each.setup(() => emptyWorld())

  test('SIGTERM at any moment of an embedded start-up exits within 10 s and leaves no Postgres', async ({
    assert,
  }) => {
    const dataDir = mkdtempSync(join(tmpdir(), 'gatehouse-stop-'))
    chmodSync(dataDir, 0o755)
    try {
      const startMs = await timeToHealth(dataDir)
      const times: number[] = []
      for (let iteration = 0; iteration < 20; iteration++) {
        const port = await freePort()
        const server = startGatehouse(['start'], dataDir, port)
        const { outcome, ms } = await stopAtSomeMoment(iteration, port, server, startMs)
        assert.isNotNull(outcome, `iteration ${iteration} did not exit:\n${server.output()}`)
        assert.isTrue(
          outcome!.code === 0 || outcome!.signal === 'SIGTERM',
          `iteration ${iteration} exited ${outcome!.code ?? outcome!.signal}:\n${server.output()}`
        )
        assert.isBelow(ms, STOP_LIMIT_MS, `iteration ${iteration}`)
        assert.equal(postgresProcessesFor(dataDir), '', `iteration ${iteration} left Postgres`)
        times.push(ms)
      }
      console.log(`  embedded: start ${startMs} ms; stops ${summary(times)}`)
    } finally {
      rmSync(dataDir, { recursive: true, force: true })
    }
  }).timeout(600_000)

  test('SIGTERM at any moment of a start-up on DATABASE_URL exits within 10 s and leaves no job locked', async ({
    assert,
  }) => {
    const dataDir = mkdtempSync(join(tmpdir(), 'gatehouse-stop-'))
    chmodSync(dataDir, 0o755)
    const databaseUrl = process.env.DATABASE_URL!
    try {
      const startMs = await timeToHealth(dataDir, databaseUrl)
      const times: number[] = []
      for (let iteration = 0; iteration < 20; iteration++) {
        const port = await freePort()
        const server = startGatehouse(['start'], dataDir, port, databaseUrl)
        const { outcome, ms } = await stopAtSomeMoment(iteration, port, server, startMs)
        assert.isNotNull(outcome, `iteration ${iteration} did not exit:\n${server.output()}`)
        assert.isTrue(
          outcome!.code === 0 || outcome!.signal === 'SIGTERM',
          `iteration ${iteration} exited ${outcome!.code ?? outcome!.signal}:\n${server.output()}`
        )
        assert.isBelow(ms, STOP_LIMIT_MS, `iteration ${iteration}`)
        times.push(ms)
      }
      const { rows } = await db.rawQuery(
        `select count(*)::int as locked from graphile_worker._private_jobs where locked_by is not null`
      )
      assert.equal(rows[0].locked, 0, 'no job stays locked by a stopped process')
      console.log(`  DATABASE_URL: start ${startMs} ms; stops ${summary(times)}`)
    } finally {
      rmSync(dataDir, { recursive: true, force: true })
    }
  }).timeout(600_000)

  test('SIGTERM with 20 long-polls and an attached agent:run exits within 10 s; the long-polls get 204', async ({
    assert,
  }) => {
    const dataDir = mkdtempSync(join(tmpdir(), 'gatehouse-stop-'))
    chmodSync(dataDir, 0o755)
    const port = await freePort()
    const { token } = await agentWithToken(AgentFactory.merge({ maxConcurrency: 30 }).create())
    const server = startGatehouse(['start'], dataDir, port, process.env.DATABASE_URL)
    let runner: ChildProcess | undefined
    try {
      await waitForHealth(port, server)
      runner = spawn(
        'node',
        [
          'ace.js',
          'agent:run',
          `--server=http://127.0.0.1:${port}`,
          `--token=${token}`,
          '--command=true',
        ],
        { cwd: appRoot, env: { ...process.env }, stdio: 'ignore' }
      )
      const polls = Array.from({ length: 20 }, () =>
        fetch(`http://127.0.0.1:${port}/api/v1/claims`, {
          method: 'POST',
          headers: { 'authorization': `Bearer ${token}`, 'content-type': 'application/json' },
          body: JSON.stringify({ wait_seconds: 30 }),
        }).then(
          (response) => response.status,
          () => 0
        )
      )
      // Let the long-polls and the runner's own poll reach the server.
      await new Promise((resolve) => setTimeout(resolve, 1500))

      const { outcome, ms } = await terminate(server.child)
      assert.isNotNull(outcome, `the server did not exit:\n${server.output()}`)
      assert.equal(outcome!.code, 0, server.output())
      assert.isBelow(ms, STOP_LIMIT_MS)
      assert.deepEqual(await Promise.all(polls), Array(20).fill(204))
      console.log(`  stop with 20 long-polls and agent:run attached: ${ms} ms`)
    } finally {
      runner?.kill('SIGKILL')
      killGatehouse(server.child)
      rmSync(dataDir, { recursive: true, force: true })
    }
  }).timeout(120_000)
})

function summary(times: number[]) {
  const sorted = [...times].sort((a, b) => a - b)
  return `median ${sorted[Math.floor(sorted.length / 2)]} ms, max ${sorted.at(-1)} ms`
}
