import { test } from '@japa/runner'
import { execFile, type ChildProcess } from 'node:child_process'
import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import pg from 'pg'
import { startEmbedded } from '#infrastructure/database_server'
import type EmbeddedPostgres from '#infrastructure/embedded_postgres'
import { freePort } from '#infrastructure/free_port'
import { killGatehouse, startGatehouse } from '#tests/support/gatehouse_process'

const appRoot = fileURLToPath(new URL('../../', import.meta.url))
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

async function statusOf(url: string, init?: RequestInit) {
  try {
    const response = await fetch(url, init)
    return { status: response.status, headers: response.headers, body: await response.text() }
  } catch {
    return { status: 0, headers: new Headers(), body: '' }
  }
}

async function statusCode(url: string, init?: RequestInit) {
  const { status } = await statusOf(url, init)
  return status
}

async function until(check: () => Promise<boolean>, timeoutMs: number, what: string) {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (await check()) return Date.now()
    await sleep(100)
  }
  throw new Error(`${what} did not happen within ${timeoutMs} ms`)
}

function stopped(child: ChildProcess) {
  return new Promise<number | null>((resolve) => {
    if (child.exitCode !== null) resolve(child.exitCode)
    else child.once('exit', (code) => resolve(code))
  })
}

function alive(child: ChildProcess) {
  return child.exitCode === null && child.signalCode === null
}

/** An agent and its token in the given database, made by the README's command. */
async function agentToken(dataDir: string, databaseUrl?: string) {
  const env: NodeJS.ProcessEnv = { ...process.env, GATEHOUSE_DATA_DIR: dataDir }
  delete env.DATABASE_URL
  if (databaseUrl) env.DATABASE_URL = databaseUrl
  const { stdout } = await promisify(execFile)(
    'npm',
    ['run', 'ace', '--', 'agent:create', `outage-${Date.now()}`, '--token', '--max-concurrency=5'],
    { cwd: appRoot, env, timeout: 60_000 }
  )
  return stdout.match(/gha_[\w.-]+/)![0]
}

function postmasterPid(clusterDirectory: string) {
  return Number(readFileSync(join(clusterDirectory, 'postmaster.pid'), 'utf8').split('\n')[0])
}

test.group('A Postgres outage (process level)', () => {
  test('Postgres stopped for 15 s: no process exits, the API answers 503, all resumes after', async ({
    assert,
  }) => {
    const root = mkdtempSync(join(tmpdir(), 'gatehouse-outage-'))
    chmodSync(root, 0o755)
    const port = await freePort()
    let embedded: EmbeddedPostgres | undefined
    let server: ReturnType<typeof startGatehouse> | undefined
    let worker: ReturnType<typeof startGatehouse> | undefined
    try {
      // The "external" Postgres, one this test starts and stops.
      const started = await startEmbedded(join(root, 'external'), { persistent: true })
      embedded = started.embedded!
      const databaseUrl = started.connectionString
      server = startGatehouse(['start'], join(root, 'server'), port, databaseUrl)
      const base = `http://127.0.0.1:${port}`
      await until(async () => (await statusCode(`${base}/health`)) === 200, 60_000, 'start')
      worker = startGatehouse(['run', 'worker'], join(root, 'server'), port, databaseUrl)
      const token = await agentToken(join(root, 'server'), databaseUrl)
      const asAgent = { headers: { authorization: `Bearer ${token}` } }
      assert.equal(await statusCode(`${base}/api/v1/agent`, asAgent), 200)

      // Jobs in flight when Postgres goes away: their completion must wait, not crash.
      const client = new pg.Client({ connectionString: databaseUrl })
      await client.connect()
      await client.query(
        `select graphile_worker.add_job('announce_claimable', '{}'::json) from generate_series(1, 50)`
      )
      await client.end()

      await embedded.stop()
      const during = await statusOf(`${base}/api/v1/agent`, asAgent)
      assert.equal(during.status, 503, during.body)
      assert.equal(during.headers.get('retry-after'), '5')
      assert.include(during.headers.get('content-type') ?? '', 'application/problem+json')
      assert.notMatch(during.body, /ECONNREFUSED|select |at .*\.ts/)
      assert.equal(await statusCode(`${base}/health/ready`), 503)
      await sleep(15_000)
      assert.isTrue(alive(server.child), `the server exited:\n${server.output()}`)
      assert.isTrue(alive(worker.child), `the worker exited:\n${worker.output()}`)

      const back = Date.now()
      // Started again from its directory: the same port, as an operator's restart would.
      const restarted = await startEmbedded(join(root, 'external'), { persistent: true })
      embedded = restarted.embedded!
      const resumed = await until(
        async () => (await statusCode(`${base}/api/v1/agent`, asAgent)) === 200,
        20_000,
        'the API answering again'
      )
      console.log(`  API answered again ${resumed - back} ms after Postgres returned`)
      const claim = await statusOf(`${base}/api/v1/claims`, {
        method: 'POST',
        headers: { 'authorization': `Bearer ${token}`, 'content-type': 'application/json' },
        body: '{}',
      })
      assert.equal(claim.status, 204, claim.body)
      await sleep(2000)
      assert.isTrue(alive(server.child), `the server exited:\n${server.output()}`)
      assert.isTrue(alive(worker.child), `the worker exited:\n${worker.output()}`)

      worker.child.kill('SIGTERM')
      server.child.kill('SIGTERM')
      assert.equal(await stopped(worker.child), 0, worker.output())
      assert.equal(await stopped(server.child), 0, server.output())
    } finally {
      killGatehouse(worker?.child)
      killGatehouse(server?.child)
      await embedded?.stop().catch(() => {})
      rmSync(root, { recursive: true, force: true })
    }
  }).timeout(180_000)

  test('the embedded Postgres killed with SIGKILL comes back on the same port; /health/ready reports the outage meanwhile', async ({
    assert,
  }) => {
    const dataDir = mkdtempSync(join(tmpdir(), 'gatehouse-outage-'))
    chmodSync(dataDir, 0o755)
    const port = await freePort()
    const server = startGatehouse(['start'], dataDir, port)
    const base = `http://127.0.0.1:${port}`
    try {
      await until(async () => (await statusCode(`${base}/health/ready`)) === 200, 60_000, 'start')
      const cluster = join(dataDir, 'postgres', 'cluster')
      const portBefore = readFileSync(join(dataDir, 'postgres', 'port'), 'utf8')

      process.kill(postmasterPid(cluster), 'SIGKILL')
      await until(
        async () => (await statusCode(`${base}/health/ready`)) === 503,
        10_000,
        'readiness reporting the outage'
      )
      const killed = Date.now()
      const ready = await until(
        async () => (await statusCode(`${base}/health/ready`)) === 200,
        60_000,
        'the embedded Postgres coming back'
      )
      console.log(`  embedded Postgres back ${ready - killed} ms after SIGKILL`)
      assert.equal(readFileSync(join(dataDir, 'postgres', 'port'), 'utf8'), portBefore)
      assert.isTrue(alive(server.child))

      server.child.kill('SIGTERM')
      assert.equal(await stopped(server.child), 0, server.output())
    } finally {
      killGatehouse(server.child)
      rmSync(dataDir, { recursive: true, force: true })
    }
  }).timeout(180_000)

  test('only the process that started the embedded Postgres stops it, and not while others use it', async ({
    assert,
  }) => {
    const dataDir = mkdtempSync(join(tmpdir(), 'gatehouse-outage-'))
    chmodSync(dataDir, 0o755)
    const port = await freePort()
    const base = `http://127.0.0.1:${port}`
    const server = startGatehouse(['start'], dataDir, port)
    let worker: ReturnType<typeof startGatehouse> | undefined
    try {
      await until(async () => (await statusCode(`${base}/health/ready`)) === 200, 60_000, 'start')
      worker = startGatehouse(['run', 'worker'], dataDir, port)
      await until(async () => worker!.output().includes('worker running'), 60_000, 'worker start')

      worker.child.kill('SIGTERM')
      assert.equal(await stopped(worker.child), 0, worker.output())
      assert.equal(await statusCode(`${base}/health/ready`), 200, 'Postgres still serves')

      // The other way round: a worker that started Postgres leaves it to the attached server.
      server.child.kill('SIGTERM')
      assert.equal(await stopped(server.child), 0, server.output())
      const owner = startGatehouse(['run', 'worker'], dataDir, port)
      await until(async () => owner.output().includes('worker running'), 60_000, 'worker start')
      const attached = startGatehouse(['start'], dataDir, port)
      await until(async () => (await statusCode(`${base}/health/ready`)) === 200, 60_000, 'start')
      owner.child.kill('SIGTERM')
      assert.equal(await stopped(owner.child), 0, owner.output())
      assert.equal(await statusCode(`${base}/health/ready`), 200, 'Postgres still serves')
      attached.child.kill('SIGTERM')
      assert.equal(await stopped(attached.child), 0, attached.output())
    } finally {
      killGatehouse(worker?.child)
      killGatehouse(server.child)
      rmSync(dataDir, { recursive: true, force: true })
    }
  }).timeout(240_000)
})
