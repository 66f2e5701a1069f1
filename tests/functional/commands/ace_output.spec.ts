import { test } from '@japa/runner'
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import testUtils from '@adonisjs/core/services/test_utils'
import User from '#models/user'
import { databaseSnapshot } from '#tests/support/database_snapshot'

const appRoot = fileURLToPath(new URL('../../../', import.meta.url))

/** `node ace.js …` writing to pipes (not a terminal), with the colour switches of a plain shell. */
function ace(argv: string[]) {
  const env = { ...process.env }
  delete env.FORCE_COLOR
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

  test('a failure exits 1 with its one-line reason on stderr and changes nothing', async ({
    assert,
  }) => {
    const before = await databaseSnapshot()
    const runs = await Promise.all([
      ace(['agents:seed', 'no/such/file.json']),
      ace(['agent:token', 'ghost']),
      ace(['agent:create', 'x', '--max-concurrency=lots']),
    ])
    assert.deepEqual(
      runs.map((run) => run.code),
      [1, 1, 1]
    )
    assert.match(runs[0].stderr, /^\[ error \] cannot read .*no\/such\/file\.json: ENOENT\n$/)
    assert.equal(runs[1].stderr, '[ error ] no agent with key "ghost"\n')
    assert.include(runs[2].stderr, 'The "max-concurrency" flag accepts a "numeric" value')
    assert.deepEqual(await databaseSnapshot(), before)
  })

  test('on a terminal, user:create prompts for the password and checks it', async ({ assert }) => {
    // util-linux `script` gives the command a pseudo-terminal, as a person's shell would.
    assert.isTrue(existsSync('/usr/bin/script'), 'needs util-linux script')
    const child = spawn(
      '/usr/bin/script',
      ['-qec', `${process.execPath} ace.js user:create pty@example.com --role=viewer`, '/dev/null'],
      {
        cwd: appRoot,
        env: { ...process.env, NODE_ENV: 'development' },
        stdio: ['pipe', 'pipe', 'pipe'],
      }
    )
    let output = ''
    let typed = 0
    child.stdout!.on('data', (chunk) => {
      output += chunk
      // Too short first (refused at the prompt), then a good one.
      if (typed === 0 && output.includes('Password')) {
        typed = 1
        child.stdin!.write('short\r')
      } else if (typed === 1 && output.includes('At least 12 characters')) {
        typed = 2
        child.stdin!.write('\x7f'.repeat(5) + 'a-long-enough-password\r')
      }
    })
    const code = await new Promise((resolve) => child.once('close', resolve))
    assert.equal(code, 0, output)
    assert.include(output, 'User pty@example.com created (viewer)')
    assert.notInclude(output, 'a-long-enough-password', 'the password is not echoed')
    const user = await User.verifyCredentials('pty@example.com', 'a-long-enough-password')
    assert.equal(user.role, 'viewer')
  }).timeout(30_000)
})
