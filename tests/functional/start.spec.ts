import { test } from '@japa/runner'
import { spawn, execFile, execFileSync, type ChildProcess } from 'node:child_process'
import { promisify } from 'node:util'
import { chmodSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { freePort } from '#infrastructure/free_port'

const appRoot = fileURLToPath(new URL('../../', import.meta.url))

/** A newcomer's environment: no DATABASE_URL, no PG*, no APP_KEY. */
function newcomerEnv(dataDir: string, port: number): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, GATEHOUSE_DATA_DIR: dataDir, PORT: String(port) }
  for (const name of [
    'DATABASE_URL',
    'PGHOST',
    'PGDATABASE',
    'PGPORT',
    'PGUSER',
    'APP_KEY',
    'NODE_ENV',
    'HOST',
  ]) {
    delete env[name]
  }
  return env
}

function npmStart(dataDir: string, port: number, databaseUrl?: string) {
  const env = newcomerEnv(dataDir, port)
  if (databaseUrl) env.DATABASE_URL = databaseUrl
  const child = spawn('npm', ['start'], { cwd: appRoot, env, stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  child.stdout!.on('data', (chunk) => (output += chunk))
  child.stderr!.on('data', (chunk) => (output += chunk))
  const ready = new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no banner within 60 s:\n${output}`)), 60_000)
    child.stdout!.on('data', () => {
      if (output.includes('Gatehouse is running at')) {
        clearTimeout(timer)
        setTimeout(() => resolve(output), 100)
      }
    })
    child.once('exit', (code) => reject(new Error(`exited early (${code}):\n${output}`)))
  })
  return { child, ready, output: () => output }
}

function stop(child: ChildProcess): Promise<{ code: number | null; ms: number }> {
  const started = Date.now()
  return new Promise((resolve) => {
    child.once('exit', (code) => resolve({ code, ms: Date.now() - started }))
    child.kill('SIGTERM')
  })
}

function postgresProcessesFor(dataDir: string) {
  try {
    return execFileSync('pgrep', ['-f', `postgres.*${dataDir}`], { encoding: 'utf8' }).trim()
  } catch {
    return ''
  }
}

test.group('npm start (process level)', () => {
  test('boots an embedded Postgres, serves /health, stops cleanly on SIGTERM and keeps its data', async ({
    assert,
  }) => {
    const dataDir = mkdtempSync(join(tmpdir(), 'gatehouse-start-'))
    chmodSync(dataDir, 0o755)
    const port = await freePort()
    try {
      const first = npmStart(dataDir, port)
      const banner = await first.ready
      assert.include(banner, `http://localhost:${port}`)
      assert.match(banner, /sign in as admin@gatehouse\.local with password \S{12,}/)
      assert.notInclude(banner, 'DATABASE_URL')

      const health = await fetch(`http://127.0.0.1:${port}/health`)
      assert.equal(health.status, 200)
      const ready = await fetch(`http://127.0.0.1:${port}/health/ready`)
      assert.equal(ready.status, 200)
      assert.isNotEmpty(postgresProcessesFor(dataDir), 'the embedded Postgres runs')

      // The README's way to run ace commands attaches to that Postgres.
      const { stdout: status } = await promisify(execFile)(
        'npm',
        ['run', 'ace', '--', 'migration:status'],
        {
          cwd: appRoot,
          env: newcomerEnv(dataDir, port),
          timeout: 30_000,
        }
      )
      assert.match(status, /0001_create_users_table\s*│\s*completed/)

      const firstStop = await stop(first.child)
      assert.equal(firstStop.code, 0)
      assert.isBelow(firstStop.ms, 10_000)
      assert.equal(postgresProcessesFor(dataDir), '', 'no postgres process is left behind')

      const second = npmStart(dataDir, port)
      const secondBanner = await second.ready
      assert.notInclude(secondBanner, 'password', 'the admin exists already: no new password')
      const response = await fetch(`http://127.0.0.1:${port}/health`)
      assert.equal(response.status, 200)
      const secondStop = await stop(second.child)
      assert.equal(secondStop.code, 0)
      assert.equal(postgresProcessesFor(dataDir), '')
    } finally {
      rmSync(dataDir, { recursive: true, force: true })
    }
  }).timeout(120_000)

  test('with DATABASE_URL set, no embedded Postgres starts', async ({ assert }) => {
    const dataDir = mkdtempSync(join(tmpdir(), 'gatehouse-start-'))
    chmodSync(dataDir, 0o755)
    const port = await freePort()
    try {
      // The test run's own database (the machine's Postgres in CI, or this run's embedded one).
      const server = npmStart(dataDir, port, process.env.DATABASE_URL)
      const banner = await server.ready
      assert.include(banner, 'Database: DATABASE_URL')
      const response = await fetch(`http://127.0.0.1:${port}/health/ready`)
      assert.equal(response.status, 200)
      assert.equal(postgresProcessesFor(dataDir), '')
      const exit = await stop(server.child)
      assert.equal(exit.code, 0)
    } finally {
      rmSync(dataDir, { recursive: true, force: true })
    }
  }).timeout(60_000)

  test('runs in production mode on 127.0.0.1: a hostile login gets a plain page, no stack, no SQL, no cookie', async ({
    assert,
  }) => {
    const dataDir = mkdtempSync(join(tmpdir(), 'gatehouse-start-'))
    chmodSync(dataDir, 0o755)
    const port = await freePort()
    const server = npmStart(dataDir, port, process.env.DATABASE_URL)
    try {
      await server.ready
      const base = `http://127.0.0.1:${port}`
      const form = await fetch(`${base}/login`)
      const cookies = form.headers
        .getSetCookie()
        .map((cookie) => cookie.split(';')[0])
        .join('; ')
      const csrf = /name=['"]_csrf['"] value=['"]([^'"]+)['"]/.exec(await form.text())?.[1]
      assert.isString(csrf)

      for (const email of ['admin\u0000@gatehouse.local', `${'a'.repeat(290)}@example.com`]) {
        const response = await fetch(`${base}/login`, {
          method: 'POST',
          redirect: 'manual',
          headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'Cookie': cookies },
          body: new URLSearchParams({ _csrf: csrf!, email, password: 'wrong password' }),
        })
        const body = await response.text()
        assert.isBelow(response.status, 500, body)
        assert.notMatch(body, /\bat .+\.(ts|js):\d+/, 'no stack frame')
        assert.notMatch(
          body,
          /select|insert|syntax|postgres|invalid byte/i,
          'no SQL or driver error'
        )
        assert.notInclude(body, cookies.split('=')[1] ?? 'no cookie', 'no cookie value')
        assert.notInclude(body, 'youch')
      }
      // Nothing else on this machine is listening for it: HOST defaults to the loopback.
      assert.include(server.output(), '127.0.0.1')
    } finally {
      if (server.child.exitCode === null) await stop(server.child)
      rmSync(dataDir, { recursive: true, force: true })
    }
  }).timeout(60_000)
})
