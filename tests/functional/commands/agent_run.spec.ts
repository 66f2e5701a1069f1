import { test } from '@japa/runner'
import { spawn, type ChildProcess } from 'node:child_process'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { setTimeout as sleep } from 'node:timers/promises'
import db from '@adonisjs/lucid/services/db'
import Policy from '#models/policy'
import WorkItem from '#models/work_item'
import { UserFactory } from '#database/factories/user_factory'
import { discardQueuedJobs } from '#tests/support/queued_jobs'
import { emptyWorld } from '#tests/support/test_database'
import { ProjectFactory } from '#database/factories/project_factory'
import { WorkItemFactory } from '#database/factories/work_item_factory'
import { AgentFactory } from '#database/factories/agent_factory'
import { agentWithToken } from '#tests/support/claimed_run'

const appRoot = fileURLToPath(new URL('../../../', import.meta.url))
const serverUrl = () => `http://${process.env.HOST}:${process.env.PORT}`

/** Processes a test started; whatever is left is killed when the test ends, pass or fail. */
const started = new Set<ChildProcess>()

/** `node ace.js …` as its own process; `agent:run` in it is a pure client of this test's HTTP server. */
function aceProcess(argv: string[], env: Record<string, string> = {}) {
  const child = spawn(process.execPath, ['ace.js', ...argv], {
    cwd: appRoot,
    env: { ...process.env, NODE_ENV: 'development', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  started.add(child)
  let output = ''
  child.stdout!.on('data', (chunk) => (output += chunk))
  child.stderr!.on('data', (chunk) => (output += chunk))
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => {
      started.delete(child)
      resolve(code)
    })
  )
  return { child, exited, output: () => output }
}

function agentRun(token: string, command: string, flags: string[]) {
  return aceProcess([
    'agent:run',
    `--server=${serverUrl()}`,
    `--token=${token}`,
    `--command=${command}`,
    '--grace=2',
    ...flags,
  ])
}

async function until(condition: () => Promise<boolean>, timeoutMs: number, what: string) {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (await condition()) return
    await sleep(100)
  }
  throw new Error(`timed out waiting for ${what}`)
}

/** Running (a zombie left for a non-reaping init counts as gone). */
/** What the proxies in front of the test server do when they do not fail: pass the request on. */
async function forwardToServer(
  request: IncomingMessage,
  response: ServerResponse,
  options: { dropAnswer?: boolean } = {}
) {
  const chunks: Buffer[] = []
  for await (const chunk of request) chunks.push(chunk)
  const answer = await fetch(`${serverUrl()}${request.url}`, {
    method: request.method,
    headers: request.headers as Record<string, string>,
    body: chunks.length ? Buffer.concat(chunks) : undefined,
  })
  // The server did the work; the connection breaks before its answer reaches the client.
  if (options.dropAnswer) {
    await answer.arrayBuffer()
    return request.socket.destroy()
  }
  response.writeHead(answer.status, Object.fromEntries(answer.headers))
  response.end(Buffer.from(await answer.arrayBuffer()))
}

/** One column of the run of a work item, as the database has it now. */
async function runColumn(workItemId: number, column: 'status' | 'progress') {
  const run = await db.from('runs').where('work_item_id', workItemId).select(column).first()
  return run?.[column]
}

function alive(pid: number) {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0] !== 'Z'
  } catch {
    return false
  }
}

test.group('agent:run end to end', (group) => {
  let workDir: string
  group.each.setup(async () => {
    await emptyWorld()
    workDir = mkdtempSync(join(tmpdir(), 'gatehouse-agent-'))
    chmodSync(workDir, 0o755)
    return async () => {
      for (const child of started) child.kill('SIGKILL')
      rmSync(workDir, { recursive: true, force: true })
      await emptyWorld()
      await discardQueuedJobs()
    }
  })

  test('three runners drain 100 items: retries, failures, ordered logs, limits kept', async ({
    assert,
  }) => {
    const project = await ProjectFactory.create()
    await Policy.createMany([
      { projectId: project.id, key: 'max_attempts', value: 2 },
      { projectId: project.id, key: 'retry_backoff_seconds', value: 0 },
    ])
    const runners = await Promise.all(
      [1, 2, 3].map((maxConcurrency) =>
        agentWithToken(AgentFactory.merge({ maxConcurrency }).create())
      )
    )
    const items = []
    for (let i = 0; i < 100; i++)
      items.push(
        await WorkItemFactory.apply('due')
          .merge({ projectId: project.id, title: `task ${i}` })
          .create()
      )
    const alwaysFails = new Set(items.filter((_, i) => i % 11 === 5).map((item) => item.id))
    const failsOnce = new Set(items.filter((_, i) => i % 7 === 3).map((item) => item.id))

    // Fails on every attempt for one set of items, on the first attempt for another.
    const script = join(workDir, 'work.sh')
    writeFileSync(
      script,
      `#!/bin/sh
echo "start $GATEHOUSE_WORK_ITEM_ID attempt $GATEHOUSE_ATTEMPT"
read -r item
echo "stdin $(printf '%s' "$item" | head -c 20)"
echo "to stderr" >&2
case " ${[...alwaysFails].join(' ')} " in *" $GATEHOUSE_WORK_ITEM_ID "*) exit 3;; esac
case " ${[...failsOnce].join(' ')} " in *" $GATEHOUSE_WORK_ITEM_ID "*) [ "$GATEHOUSE_ATTEMPT" = 1 ] && exit 1;; esac
echo '{"summary":"done","tests":{"passed":3,"failed":0},"head_sha":"abc1234def"}'
`,
      { mode: 0o755 }
    )

    const violations: string[] = []
    let sampling = true
    const sampler = (async () => {
      while (sampling) {
        const { rows } = await db.rawQuery(
          `select a.key, a.max_concurrency, count(r.id)::int as running
             from agents a join runs r on r.agent_id = a.id and r.status = 'running'
            group by a.id having count(r.id) > a.max_concurrency`
        )
        for (const row of rows)
          violations.push(`${row.key} ran ${row.running}/${row.max_concurrency}`)
        await sleep(25)
      }
    })()

    const processes = runners.map(({ token, agent }) =>
      agentRun(token, script, [`--concurrency=${agent.maxConcurrency}`, '--wait=1'])
    )
    try {
      await until(
        async () => {
          const open = await WorkItem.query()
            .where('projectId', project.id)
            .whereNotIn('status', ['completed', 'failed'])
          return open.length === 0
        },
        90_000,
        'every item to end completed or failed'
      )
    } finally {
      sampling = false
      await sampler
      for (const { child } of processes) child.kill('SIGINT')
    }
    assert.deepEqual(await Promise.all(processes.map((p) => p.exited)), [0, 0, 0])
    assert.deepEqual(violations, [])

    for (const item of await WorkItem.query().where('projectId', project.id)) {
      if (alwaysFails.has(item.id)) {
        assert.equal(item.status, 'failed', `item ${item.id}`)
        assert.equal(item.attempts, 2)
      } else {
        assert.equal(item.status, 'completed', `item ${item.id}`)
        assert.equal(item.attempts, failsOnce.has(item.id) ? 2 : 1, `item ${item.id}`)
      }
    }
    const running = await db.from('runs').where('status', 'running').count('* as n')
    assert.equal(running[0].n, 0)

    // Every run's log is complete and in order: seq 1..n, as the command printed it.
    const logs = await db
      .from('run_logs')
      .join('runs', 'runs.id', 'run_logs.run_id')
      .where('runs.project_id', project.id)
      .orderBy(['run_logs.run_id', 'run_logs.seq'])
      .select(
        'run_logs.run_id',
        'run_logs.seq',
        'run_logs.message',
        'run_logs.stream',
        'runs.status'
      )
    const byRun = new Map<number, typeof logs>()
    for (const line of logs) byRun.set(line.run_id, [...(byRun.get(line.run_id) ?? []), line])
    const runs = await db.from('runs').where('project_id', project.id)
    assert.equal(byRun.size, runs.length)
    for (const lines of byRun.values()) {
      assert.deepEqual(
        lines.map((l) => l.seq),
        lines.map((_, i) => i + 1)
      )
      const stdout = lines.filter((l) => l.stream === 'stdout').map((l) => l.message)
      assert.match(stdout[0], /^start \d+ attempt \d$/)
      assert.match(stdout[1], /^stdin \{"id":\d+/)
      assert.include(
        lines.filter((l) => l.stream === 'stderr').map((l) => l.message),
        'to stderr'
      )
      if (lines[0].status === 'succeeded') assert.include(stdout[2], '"summary":"done"')
    }
    const succeeded = await db
      .from('runs')
      .where('project_id', project.id)
      .where('status', 'succeeded')
      .first()
    assert.equal(succeeded.head_sha, 'abc1234def')
    assert.deepEqual(succeeded.tests, { passed: 3, failed: 0 })
  }).timeout(150_000)

  test('through a rejection: the second attempt reads GATEHOUSE_FEEDBACK_FILE and the feedback on stdin', async ({
    assert,
  }) => {
    const project = await ProjectFactory.merge({ gatesConfig: { tests_reported: true } }).create()
    await Policy.create({ projectId: project.id, key: 'retry_backoff_seconds', value: 0 })
    const { token } = await agentWithToken(AgentFactory.create())
    const item = await WorkItemFactory.apply('due')
      .merge({ projectId: project.id, title: 'fix the flaky test' })
      .create()
    // Attempt 1 reports a failing test (the gate rejects it); attempt 2 fixes what the feedback names.
    const script = join(workDir, 'learn.mjs')
    writeFileSync(
      script,
      `import { readFileSync } from 'node:fs'
const claimed = JSON.parse(readFileSync(0, 'utf8'))
const file = process.env.GATEHOUSE_FEEDBACK_FILE
if (!file) {
  console.log(JSON.stringify({ summary: 'first try', tests: { passed: 1, failed: 1 } }))
} else {
  const feedback = JSON.parse(readFileSync(file, 'utf8'))
  const summary = 'fixed after: ' + feedback.attempts[0].gates[0].reason + ' (' + claimed.feedback.attempts[0].outcome + ')'
  console.log(JSON.stringify({ summary, tests: { passed: 2, failed: 0 } }))
}
`
    )
    const runner = agentRun(token, `node ${script}`, ['--wait=1'])
    try {
      await until(
        async () => {
          const current = await WorkItem.findOrFail(item.id)
          return current.status === 'completed'
        },
        60_000,
        'the item to complete on its second attempt'
      )
    } finally {
      runner.child.kill('SIGINT')
    }
    assert.equal(await runner.exited, 0)
    const runs = await db.from('runs').where('work_item_id', item.id).orderBy('id')
    assert.deepEqual(
      runs.map((run) => [run.attempt, run.status, run.gate_status]),
      [
        [1, 'succeeded', 'failed'],
        [2, 'succeeded', 'passed'],
      ]
    )
    assert.equal(runs[1].summary, 'fixed after: 1 passed, 1 failed, 0 skipped (rejected)')
  }).timeout(90_000)

  test('a last JSON line {"question": …} asks instead of completing: the item waits blocked', async ({
    assert,
  }) => {
    const project = await ProjectFactory.create()
    const { token } = await agentWithToken(AgentFactory.create())
    const item = await WorkItemFactory.apply('due').merge({ projectId: project.id }).create()
    const script = join(workDir, 'ask.sh')
    writeFileSync(
      script,
      `#!/bin/sh
echo '{"question":"Which currency?","choices":["EUR","USD"]}'
`,
      { mode: 0o755 }
    )
    const runner = agentRun(token, script, ['--exit-when-idle'])
    assert.equal(await runner.exited, 0)
    const blocked = await WorkItem.findOrFail(item.id)
    assert.equal(blocked.status, 'blocked')
    const run = await db.from('runs').where('work_item_id', item.id).firstOrFail()
    assert.equal(run.status, 'needs_input')
    const question = await db.from('questions').where('run_id', run.id).firstOrFail()
    assert.equal(question.question, 'Which currency?')
    assert.deepEqual(question.choices, ['EUR', 'USD'])
    assert.include(runner.output(), 'asked')
  }).timeout(60_000)

  test('a cancel mid-run kills the child; Ctrl-C releases the items held', async ({ assert }) => {
    const project = await ProjectFactory.create()
    await Policy.create({ projectId: project.id, key: 'lease_seconds', value: 3 })
    const { token } = await agentWithToken(AgentFactory.merge({ maxConcurrency: 2 }).create())
    const first = await WorkItemFactory.apply('due')
      .merge({ projectId: project.id, priority: 10 })
      .create()
    const second = await WorkItemFactory.apply('due')
      .merge({ projectId: project.id, priority: 5 })
      .create()
    const script = join(workDir, 'long.sh')
    writeFileSync(
      script,
      `#!/bin/sh
echo $$ > ${workDir}/pid-$GATEHOUSE_WORK_ITEM_ID
echo "working on $GATEHOUSE_WORK_ITEM_ID"
trap 'exit 143' TERM
while true; do sleep 0.1; done
`,
      { mode: 0o755 }
    )
    const runner = agentRun(token, script, ['--concurrency=2', '--wait=1'])
    const pidOf = (id: number) => Number(readFileSync(join(workDir, `pid-${id}`), 'utf8'))
    await until(
      async () =>
        existsSync(join(workDir, `pid-${first.id}`)) &&
        existsSync(join(workDir, `pid-${second.id}`)),
      30_000,
      'both commands to start'
    )
    const firstPid = pidOf(first.id)
    const secondPid = pidOf(second.id)

    const admin = await UserFactory.apply('admin').create()
    await first.cancel(admin)
    // The next heartbeat (every second with a 3 s lease) tells the runner, which stops the child.
    await until(async () => !alive(firstPid), 10_000, 'the cancelled command to be killed')
    await until(
      async () => (await runColumn(first.id, 'status')) === 'cancelled',
      10_000,
      'the run to end as cancelled'
    )
    await first.refresh()
    assert.equal(first.status, 'cancelled')
    assert.isTrue(alive(secondPid))
    // Heartbeats carry the command's last line as the run's progress.
    await until(
      async () => (await runColumn(second.id, 'progress')) === `working on ${second.id}`,
      5_000,
      'the progress to arrive with a heartbeat'
    )

    runner.child.kill('SIGINT')
    assert.equal(await runner.exited, 0)
    assert.isFalse(alive(secondPid))
    await second.refresh()
    assert.equal(second.status, 'pending', runner.output())
    assert.equal(second.attempts, 0, 'a release does not count as an attempt')
    const released = await db.from('runs').where('work_item_id', second.id).first()
    assert.equal(released.status, 'released')
    assert.include(runner.output(), 'released')
  }).timeout(60_000)

  test('a cancel reaches the runner through its log calls, long before the next heartbeat', async ({
    assert,
  }) => {
    const project = await ProjectFactory.create()
    const { token } = await agentWithToken(AgentFactory.create())
    const item = await WorkItemFactory.apply('due').merge({ projectId: project.id }).create()
    const script = join(workDir, 'ticking.sh')
    writeFileSync(
      script,
      `#!/bin/sh
trap 'exit 143' TERM
while true; do echo tick; sleep 0.2; done
`,
      { mode: 0o755 }
    )
    // The default lease (600 s) means a heartbeat every 200 s: only the log answers can tell.
    const runner = agentRun(token, script, ['--exit-when-idle'])
    await until(
      async () => {
        const run = await db.from('runs').where('work_item_id', item.id).first()
        return Boolean(run && run.last_log_seq > 0)
      },
      30_000,
      'the first lines'
    )
    await item.cancel(await UserFactory.apply('admin').create())
    assert.equal(await runner.exited, 0, runner.output())
    const run = await db.from('runs').where('work_item_id', item.id).firstOrFail()
    assert.equal(run.status, 'cancelled')
    assert.include(runner.output(), 'cancel requested')
  }).timeout(30_000)

  test('agent:disable --drain lets the running item finish, claims nothing new, then disables', async ({
    assert,
  }) => {
    const project = await ProjectFactory.create()
    const { agent, token } = await agentWithToken(AgentFactory.create())
    const first = await WorkItemFactory.apply('due')
      .merge({ projectId: project.id, priority: 10 })
      .create()
    const second = await WorkItemFactory.apply('due')
      .merge({ projectId: project.id, priority: 1 })
      .create()
    const script = join(workDir, 'slow.sh')
    writeFileSync(
      script,
      `#!/bin/sh
touch ${workDir}/started-$GATEHOUSE_WORK_ITEM_ID
while [ ! -e ${workDir}/go ]; do sleep 0.1; done
echo done
`,
      { mode: 0o755 }
    )
    const runner = agentRun(token, script, ['--wait=1'])
    await until(
      async () => existsSync(join(workDir, `started-${first.id}`)),
      30_000,
      'the first item to start'
    )
    const drain = aceProcess(['agent:disable', agent.key, '--drain', '--every=0.2'])
    await until(async () => drain.output().includes('draining'), 30_000, 'the drain to wait')
    writeFileSync(join(workDir, 'go'), '')
    assert.equal(await drain.exited, 0, drain.output())
    // The runner's slot saw 409 draining after its item: it stops by itself.
    assert.equal(await runner.exited, 0, runner.output())

    await Promise.all([first.refresh(), second.refresh(), agent.refresh()])
    assert.equal(first.status, 'completed', runner.output())
    assert.equal(second.status, 'pending')
    assert.isFalse(agent.enabled)
    assert.lengthOf(await db.from('runs').where('agent_id', agent.id), 1)
  }).timeout(60_000)

  test('the command gets the item in its environment and on stdin; its last JSON line is the report', async ({
    assert,
  }) => {
    const project = await ProjectFactory.create()
    const { token } = await agentWithToken(AgentFactory.merge({ maxConcurrency: 2 }).create())
    const item = await WorkItemFactory.apply('due')
      .merge({ projectId: project.id, title: 'Fix "quotes" & $HOME', payload: { note: 'test' } })
      .create()
    const script = join(workDir, 'report.sh')
    writeFileSync(
      script,
      `#!/bin/sh
env | grep '^GATEHOUSE_' | sort > ${workDir}/env
cat > ${workDir}/stdin
echo '{"summary":"all good","pr_url":"https://github.com/acme/x/pull/7","pr_number":7,"head_sha":"0123abcd","costs":{"usd":0.25,"input_tokens":1000},"tests":{"passed":5,"failed":0},"unknown":"ignored"}'
`,
      { mode: 0o755 }
    )
    // Configured through the environment instead of flags.
    const runner = aceProcess(['agent:run', '--exit-when-idle', '--json'], {
      GATEHOUSE_URL: serverUrl(),
      GATEHOUSE_TOKEN: token,
      AGENT_COMMAND: script,
      AGENT_CONCURRENCY: '2',
    })
    assert.equal(await runner.exited, 0, runner.output())

    const env = Object.fromEntries(
      readFileSync(join(workDir, 'env'), 'utf8')
        .trim()
        .split('\n')
        .map((line) => line.split(/=(.*)/s).slice(0, 2))
    )
    const run = await db.from('runs').where('work_item_id', item.id).firstOrFail()
    assert.deepInclude(env, {
      GATEHOUSE_RUN_ID: String(run.id),
      GATEHOUSE_ATTEMPT: '1',
      GATEHOUSE_WORK_ITEM_ID: String(item.id),
      GATEHOUSE_WORK_ITEM_TITLE: 'Fix "quotes" & $HOME',
      GATEHOUSE_WORK_TYPE: 'code',
      GATEHOUSE_PAYLOAD: '{"note":"test"}',
      GATEHOUSE_PROJECT: project.slug,
      GATEHOUSE_REPO: project.repoFullName,
      GATEHOUSE_BRANCH: 'main',
    })
    assert.notProperty(env, 'GATEHOUSE_TOKEN', 'the agent token is not passed to the command')
    const stdin = JSON.parse(readFileSync(join(workDir, 'stdin'), 'utf8'))
    assert.equal(stdin.id, item.id)
    assert.deepEqual(stdin.payload, { note: 'test' })

    assert.equal(run.status, 'succeeded')
    assert.equal(run.summary, 'all good')
    assert.equal(run.pr_url, 'https://github.com/acme/x/pull/7')
    assert.equal(run.pr_number, 7)
    assert.equal(run.head_sha, '0123abcd')
    assert.equal(Number(run.cost_usd), 0.25)
    assert.deepEqual(run.tests, { passed: 5, failed: 0 })
    await item.refresh()
    assert.equal(item.status, 'completed')

    const events = runner
      .output()
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line))
    assert.deepEqual(
      events.map((event) => event.event),
      ['started', 'agent', 'claimed', 'succeeded', 'stopped']
    )
    assert.equal(events[0].concurrency, 2)
    assert.equal(events[1].max_concurrency, 2)
  })

  test('output with NUL bytes is logged in full, the NULs made visible', async ({ assert }) => {
    const project = await ProjectFactory.create()
    const { token } = await agentWithToken(AgentFactory.create())
    const item = await WorkItemFactory.apply('due').merge({ projectId: project.id }).create()
    const runner = agentRun(token, `echo before; printf 'a\\000b\\n'; echo after`, [
      '--exit-when-idle',
    ])
    assert.equal(await runner.exited, 0, runner.output())
    const run = await db.from('runs').where('work_item_id', item.id).firstOrFail()
    const logs = await db.from('run_logs').where('run_id', run.id).orderBy('seq').select('message')
    assert.deepEqual(
      logs.map((log) => log.message),
      ['before', 'a\uFFFDb', 'after']
    )
  })

  test('more slots than the agent may hold are capped to its max_concurrency', async ({
    assert,
  }) => {
    const { token } = await agentWithToken(AgentFactory.merge({ maxConcurrency: 1 }).create())
    const runner = agentRun(token, 'true', ['--concurrency=3', '--exit-when-idle', '--json'])
    assert.equal(await runner.exited, 0, runner.output())
    const capped = runner
      .output()
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line))
      .find((e) => e.event === 'concurrency capped')
    assert.deepInclude(capped, { requested: 3, max_concurrency: 1 })
  })

  test('a report the server rejects is logged and the run still completes', async ({ assert }) => {
    const project = await ProjectFactory.create()
    const { token } = await agentWithToken(AgentFactory.create())
    const item = await WorkItemFactory.apply('due').merge({ projectId: project.id }).create()
    const runner = agentRun(token, `echo '{"summary":"ok","head_sha":"not a sha"}'`, [
      '--exit-when-idle',
    ])
    assert.equal(await runner.exited, 0, runner.output())
    const run = await db.from('runs').where('work_item_id', item.id).firstOrFail()
    assert.equal(run.status, 'succeeded')
    assert.equal(run.summary, 'ok')
    assert.isNull(run.head_sha)
    const logs = await db
      .from('run_logs')
      .where('run_id', run.id)
      .orderBy('seq')
      .select('level', 'message')
    assert.equal(logs.at(-1).level, 'error')
    assert.match(logs.at(-1).message, /report was rejected: .*head_sha/)
  })

  test('a command that ignores SIGTERM is killed after the grace period', async ({ assert }) => {
    const project = await ProjectFactory.create()
    await Policy.create({ projectId: project.id, key: 'lease_seconds', value: 3 })
    const { token } = await agentWithToken(AgentFactory.create())
    const item = await WorkItemFactory.apply('due').merge({ projectId: project.id }).create()
    const script = join(workDir, 'stubborn.sh')
    writeFileSync(
      script,
      `#!/bin/sh
trap '' TERM
echo $$ > ${workDir}/pid
while true; do sleep 0.1; done
`,
      { mode: 0o755 }
    )
    const runner = agentRun(token, script, ['--wait=1', '--grace=1'])
    await until(async () => existsSync(join(workDir, 'pid')), 30_000, 'the command to start')
    const pid = Number(readFileSync(join(workDir, 'pid'), 'utf8'))

    const admin = await UserFactory.apply('admin').create()
    const cancelledAt = Date.now()
    await item.cancel(admin)
    await until(async () => !alive(pid), 10_000, 'the stubborn command to be killed')
    // One heartbeat interval (1 s) to learn of the cancel, then the 1 s grace before SIGKILL.
    assert.isAtLeast(Date.now() - cancelledAt, 1000)
    await until(
      async () => (await runColumn(item.id, 'status')) === 'cancelled',
      10_000,
      'the run to end as cancelled'
    )
    runner.child.kill('SIGINT')
    assert.equal(await runner.exited, 0)
  })

  test('Ctrl-C while a finished command is being reported completes its run instead of releasing it', async ({
    assert,
  }) => {
    const project = await ProjectFactory.create()
    const { token } = await agentWithToken(AgentFactory.create())
    const item = await WorkItemFactory.apply('due').merge({ projectId: project.id }).create()
    let runner: ReturnType<typeof aceProcess> | undefined
    // A proxy that holds the run's log batch back and interrupts the runner meanwhile: the
    // command has already finished, so its work is reported, not given back.
    const proxy = createServer(async (request, response) => {
      if (request.url!.endsWith('/logs')) {
        runner!.child.kill('SIGINT')
        await sleep(500)
      }
      await forwardToServer(request, response)
    })
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve))
    const { port } = proxy.address() as AddressInfo
    try {
      runner = aceProcess([
        'agent:run',
        `--server=http://127.0.0.1:${port}`,
        `--token=${token}`,
        '--command=echo done',
        '--wait=1',
      ])
      assert.equal(await runner.exited, 0, runner.output())
    } finally {
      proxy.close()
    }
    const run = await db.from('runs').where('work_item_id', item.id).firstOrFail()
    assert.equal(run.status, 'succeeded', runner.output())
    await item.refresh()
    assert.equal(item.status, 'completed')
  })

  test('transient server errors and dropped connections are retried with backoff', async ({
    assert,
  }) => {
    const project = await ProjectFactory.create()
    const { token } = await agentWithToken(AgentFactory.create())
    const item = await WorkItemFactory.apply('due').merge({ projectId: project.id }).create()
    // A proxy in front of the server that fails the first requests: a 502, a 503, a dropped connection.
    let requests = 0
    const proxy = createServer(async (request, response) => {
      requests++
      if (requests === 1) return response.writeHead(502).end('Bad Gateway')
      if (requests === 2) return response.writeHead(503).end('Service Unavailable')
      if (requests === 3) return request.socket.destroy()
      await forwardToServer(request, response)
    })
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve))
    const { port } = proxy.address() as AddressInfo
    try {
      const runner = aceProcess([
        'agent:run',
        `--server=http://127.0.0.1:${port}`,
        `--token=${token}`,
        '--command=echo working',
        '--exit-when-idle',
      ])
      assert.equal(await runner.exited, 0, runner.output())
      assert.equal((runner.output().match(/retrying/g) ?? []).length, 3)
      await item.refresh()
      assert.equal(item.status, 'completed')
    } finally {
      proxy.closeAllConnections()
      await new Promise((resolve) => proxy.close(resolve))
    }
  })

  test('through a proxy that drops every third answer, each item is claimed and completed once and every line stored once, in order', async ({
    assert,
  }) => {
    const project = await ProjectFactory.create()
    const { token } = await agentWithToken(AgentFactory.create())
    const items = [
      await WorkItemFactory.apply('due').merge({ projectId: project.id }).create(),
      await WorkItemFactory.apply('due').merge({ projectId: project.id }).create(),
    ]
    // The request reaches the server and is done; its answer never reaches the runner.
    let calls = 0
    let logCalls = 0
    const proxy = createServer(async (request, response) => {
      if (request.url!.endsWith('/logs')) logCalls++
      if (++calls % 3 === 0) return forwardToServer(request, response, { dropAnswer: true })
      await forwardToServer(request, response)
    })
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve))
    const { port } = proxy.address() as AddressInfo
    const script = join(workDir, 'chatty.sh')
    writeFileSync(
      script,
      `#!/bin/sh
i=1
while [ $i -le 40 ]; do echo "line $i"; [ $((i % 4)) = 0 ] && sleep 0.2; i=$((i+1)); done
`,
      { mode: 0o755 }
    )
    try {
      const runner = aceProcess([
        'agent:run',
        `--server=http://127.0.0.1:${port}`,
        `--token=${token}`,
        `--command=${script}`,
        '--exit-when-idle',
      ])
      assert.equal(await runner.exited, 0, runner.output())
      assert.isAtLeast(logCalls, 6, 'the lines went in several batches')
      assert.notInclude(runner.output(), 'logs lost')
    } finally {
      proxy.closeAllConnections()
      await new Promise((resolve) => proxy.close(resolve))
    }
    for (const item of items) {
      const runs = await db.from('runs').where('work_item_id', item.id)
      assert.lengthOf(runs, 1, 'a claim whose answer was lost is not claimed again')
      const [run] = runs
      assert.equal(run.status, 'succeeded')
      const completions = await db
        .from('audit_events')
        .where({ subject_type: 'run', subject_id: run.id })
        .whereLike('action', 'run.%')
      assert.isAtMost(completions.length, 1, JSON.stringify(completions.map((e) => e.action)))
      const lines = await db.from('run_logs').where('run_id', run.id).orderBy('seq')
      assert.deepEqual(
        lines.map((line) => [line.seq, line.message]),
        Array.from({ length: 40 }, (_, i) => [i + 1, `line ${i + 1}`])
      )
    }
  })

  test('an unknown token or a disabled agent stops the runner with exit 1 and the reason', async ({
    assert,
  }) => {
    const bad = agentRun('gha_nope.nope', 'true', ['--exit-when-idle'])
    assert.equal(await bad.exited, 1)
    assert.match(bad.output(), /\[ error \] Gatehouse answered 401/)

    const { agent, token } = await agentWithToken(AgentFactory.merge({ enabled: false }).create())
    const disabled = agentRun(token, 'true', ['--exit-when-idle'])
    assert.equal(await disabled.exited, 1)
    assert.include(disabled.output(), `Gatehouse answered 403: Agent "${agent.key}" is disabled.`)
  })

  test('missing settings and bad flags fail at once with one line', async ({ assert }) => {
    const cases: [string[], string][] = [
      [['agent:run', '--command=true'], 'no agent token: pass --token or set GATEHOUSE_TOKEN'],
      [['agent:run', '--token=x'], 'no command: pass --command or set AGENT_COMMAND'],
      [
        ['agent:run', '--token=x', '--command=true', '--server=nowhere'],
        '--server is not a URL: nowhere',
      ],
      [
        ['agent:run', '--token=x', '--command=true', '--concurrency=0'],
        '--concurrency must be a whole number from 1 to 100',
      ],
      [
        ['agent:run', '--token=x', '--command=true', '--wait=31'],
        '--wait must be a whole number of seconds from 0 to 30',
      ],
      [
        ['agent:run', '--token=x', '--command=true', '--concurrency=many'],
        'The "concurrency" flag accepts a "numeric" value',
      ],
    ]
    const runs = cases.map(([argv]) => aceProcess(argv, { GATEHOUSE_TOKEN: '', AGENT_COMMAND: '' }))
    for (const [index, [argv, reason]] of cases.entries()) {
      assert.equal(await runs[index].exited, 1, argv.join(' '))
      assert.include(runs[index].output(), reason)
    }
  })
})
