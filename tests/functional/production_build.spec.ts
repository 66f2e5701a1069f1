import { test } from '@japa/runner'
import { execFileSync, spawn } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { freePort } from '#infrastructure/free_port'

const appRoot = fileURLToPath(new URL('../../', import.meta.url))
const buildDir = join(appRoot, 'build')

/**
 * `npm run build` (node ace.js build) and the built server, started as production starts it:
 * `node build/bin/server.js`. A build already in build/ is reused to keep the suite fast (run
 * `npm run build` first to test the current source). Its node_modules, when missing, links to
 * the project's own: `npm ci --omit=dev` in build/ takes long offline-unfriendly minutes and
 * is checked by hand (docs/operations.md).
 */
test.group('production build', () => {
  test('the built server starts on Node 24 and answers /health', async ({ assert, cleanup }) => {
    if (!existsSync(join(buildDir, 'bin/server.js'))) {
      execFileSync(process.execPath, ['ace.js', 'build'], { cwd: appRoot, stdio: 'ignore' })
    }
    if (!existsSync(join(buildDir, 'node_modules'))) {
      symlinkSync(join(appRoot, 'node_modules'), join(buildDir, 'node_modules'), 'dir')
    }
    assert.isFalse(existsSync(join(buildDir, 'bin/server.ts')), 'the build holds JavaScript only')

    const dataDir = mkdtempSync(join(tmpdir(), 'gatehouse-build-'))
    cleanup(() => rmSync(dataDir, { recursive: true, force: true }))
    const port = await freePort()
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      GATEHOUSE_DATA_DIR: dataDir,
      PORT: String(port),
      // Jobs of other test files must not run in this server's worker.
      RUN_WORKER: 'false',
    }
    delete env.NODE_ENV
    const server = spawn(process.execPath, ['bin/server.js'], {
      cwd: buildDir,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let output = ''
    server.stdout!.on('data', (chunk) => (output += chunk))
    server.stderr!.on('data', (chunk) => (output += chunk))
    const exited = new Promise<number | null>((resolve) => server.once('exit', resolve))
    cleanup(() => void server.kill('SIGKILL'))

    let status = 0
    const deadline = Date.now() + 60_000
    while (Date.now() < deadline && server.exitCode === null && status !== 200) {
      status = await fetch(`http://127.0.0.1:${port}/health`).then(
        (response) => response.status,
        () => 0
      )
      if (status !== 200) await new Promise((resolve) => setTimeout(resolve, 100))
    }
    assert.equal(status, 200, `the built server never answered /health:\n${output}`)

    server.kill('SIGTERM')
    assert.equal(await exited, 0)
  }).timeout(180_000)
})
