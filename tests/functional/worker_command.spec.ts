import { test } from '@japa/runner'
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import db from '@adonisjs/lucid/services/db'

const appRoot = fileURLToPath(new URL('../../', import.meta.url))

test.group('npm run worker (process level)', () => {
  test('runs until SIGTERM, then exits 0 and leaves no job locked', async ({ assert, cleanup }) => {
    // Work to be in the middle of when the signal arrives.
    const keys = Array.from({ length: 40 }, (_, i) => `worker-shutdown-test:${i}`)
    await db.rawQuery(
      `select graphile_worker.add_job('announce_claimable', json_build_object('projectId', 1), job_key => k)
         from unnest(?::text[]) k`,
      [keys]
    )
    cleanup(() =>
      db.rawQuery('select graphile_worker.remove_job(k) from unnest(?::text[]) k', [keys])
    )

    const child = spawn('npm', ['run', 'worker'], {
      cwd: appRoot,
      env: { ...process.env, NODE_ENV: 'development', LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let output = ''
    child.stdout!.on('data', (chunk) => (output += chunk))
    child.stderr!.on('data', (chunk) => (output += chunk))
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`worker did not start:\n${output}`)), 30_000)
      child.stdout!.on('data', () => {
        if (output.includes('worker running')) {
          clearTimeout(timer)
          resolve()
        }
      })
    })

    const started = Date.now()
    const exit = new Promise<number | null>((resolve) => child.once('exit', resolve))
    child.kill('SIGTERM')
    assert.equal(await exit, 0)
    assert.isBelow(Date.now() - started, 10_000)
    assert.include(output, 'worker stopped')
    const { rows } = await db.rawQuery(
      'select count(*) as count from graphile_worker._private_jobs where locked_by is not null'
    )
    assert.equal(rows[0].count, 0)
  }).timeout(60_000)
})
