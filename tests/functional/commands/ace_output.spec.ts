import { test } from '@japa/runner'
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import testUtils from '@adonisjs/core/services/test_utils'
import { databaseSnapshot } from '#tests/support/database_snapshot'

const appRoot = fileURLToPath(new URL('../../../', import.meta.url))

/** `node ace.js …` writing to pipes (not a terminal), with the colour switches of a plain shell. */
function ace(argv: string[]) {
  const { FORCE_COLOR: _forced, ...env } = process.env
  const child = spawn(process.execPath, ['ace.js', ...argv], {
    cwd: appRoot,
    env: { ...env, NODE_ENV: 'development', TERM: 'xterm-256color' },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stdout = ''
  let stderr = ''
  child.stdout!.on('data', (chunk) => (stdout += chunk))
  child.stderr!.on('data', (chunk) => (stderr += chunk))
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) =>
    child.once('close', (code) => resolve({ code, stdout, stderr }))
  )
}

test.group('ace commands as processes', (group) => {
  group.each.setup(() => testUtils.db().truncate())

  test('exit 0 with a plain table when the output is not a terminal', async ({ assert }) => {
    const { code, stdout } = await ace(['agents:seed', 'config/agents.example.json'])
    assert.equal(code, 0)
    assert.include(stdout, 'claude-coder')
    assert.notInclude(stdout, '\x1b[', 'no colour codes in a pipe')
  })

  test('a failure exits 1 with its one-line reason on stderr and changes nothing', async ({ assert }) => {
    const before = await databaseSnapshot()
    const runs = await Promise.all([
      ace(['agents:seed', 'no/such/file.json']),
      ace(['agent:token', 'ghost']),
      ace(['agent:create', 'x', '--max-concurrency=lots']),
    ])
    assert.deepEqual(runs.map((run) => run.code), [1, 1, 1])
    assert.match(runs[0].stderr, /^\[ error \] cannot read .*no\/such\/file\.json: ENOENT\n$/)
    assert.equal(runs[1].stderr, '[ error ] no agent with key "ghost"\n')
    assert.include(runs[2].stderr, 'The "max-concurrency" flag accepts a "numeric" value')
    assert.deepEqual(await databaseSnapshot(), before)
  })
})
