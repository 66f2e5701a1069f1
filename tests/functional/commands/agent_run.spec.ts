import { test } from '@japa/runner'
import { spawn } from 'node:child_process'
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { setTimeout as sleep } from 'node:timers/promises'
import db from '@adonisjs/lucid/services/db'
import Policy from '#models/policy'
import WorkItem from '#models/work_item'
import { UserFactory } from '#database/factories/user_factory'
import { createAgent, createItem, createProject, emptyWorld } from '#tests/support/claim_world'

const appRoot = fileURLToPath(new URL('../../../', import.meta.url))
const serverUrl = () => `http://${process.env.HOST}:${process.env.PORT}`

/** `agent:run` as its own process, a pure client of this test's HTTP server. */
function agentRun(token: string, command: string, flags: string[]) {
  const child = spawn(
    process.execPath,
    ['ace.js', 'agent:run', `--server=${serverUrl()}`, `--token=${token}`, `--command=${command}`, '--grace=2', ...flags],
    { cwd: appRoot, env: { ...process.env, NODE_ENV: 'development' }, stdio: ['ignore', 'pipe', 'pipe'] }
  )
  let output = ''
  child.stdout!.on('data', (chunk) => (output += chunk))
  child.stderr!.on('data', (chunk) => (output += chunk))
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve))
  return { child, exited, output: () => output }
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
    return () => rmSync(workDir, { recursive: true, force: true })
  })

  test('three runners drain 100 items: retries, failures, ordered logs, limits kept', async ({
    assert,
  }) => {
    const project = await createProject()
    await Policy.createMany([
      { projectId: project.id, key: 'max_attempts', value: 2 },
      { projectId: project.id, key: 'retry_backoff_seconds', value: 0 },
    ])
    const runners = await Promise.all([1, 2, 3].map((maxConcurrency) => createAgent({ maxConcurrency })))
    const items = []
    for (let i = 0; i < 100; i++) items.push(await createItem(project, { title: `task ${i}` }))
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
        for (const row of rows) violations.push(`${row.key} ran ${row.running}/${row.max_concurrency}`)
        await sleep(25)
      }
    })()

    const processes = runners.map(({ token, agent }) =>
      agentRun(token, script, [`--concurrency=${agent.maxConcurrency}`, '--wait=1'])
    )
    try {
      await until(
        async () =>
          (await WorkItem.query().where('projectId', project.id).whereNotIn('status', ['completed', 'failed']))
            .length === 0,
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
      .select('run_logs.run_id', 'run_logs.seq', 'run_logs.message', 'run_logs.stream', 'runs.status')
    const byRun = new Map<number, typeof logs>()
    for (const line of logs) byRun.set(line.run_id, [...(byRun.get(line.run_id) ?? []), line])
    const runs = await db.from('runs').where('project_id', project.id)
    assert.equal(byRun.size, runs.length)
    for (const lines of byRun.values()) {
      assert.deepEqual(lines.map((l) => l.seq), lines.map((_, i) => i + 1))
      const stdout = lines.filter((l) => l.stream === 'stdout').map((l) => l.message)
      assert.match(stdout[0], /^start \d+ attempt \d$/)
      assert.match(stdout[1], /^stdin \{"id":\d+/)
      assert.include(lines.filter((l) => l.stream === 'stderr').map((l) => l.message), 'to stderr')
      if (lines[0].status === 'succeeded') assert.include(stdout[2], '"summary":"done"')
    }
    const succeeded = await db.from('runs').where('project_id', project.id).where('status', 'succeeded').first()
    assert.equal(succeeded.head_sha, 'abc1234def')
    assert.deepEqual(succeeded.tests, { passed: 3, failed: 0 })
  }).timeout(150_000)

  test('a cancel mid-run kills the child; Ctrl-C releases the items held', async ({ assert }) => {
    const project = await createProject()
    await Policy.create({ projectId: project.id, key: 'lease_seconds', value: 3 })
    const { token } = await createAgent({ maxConcurrency: 2 })
    const first = await createItem(project, { priority: 10 })
    const second = await createItem(project, { priority: 5 })
    const script = join(workDir, 'long.sh')
    writeFileSync(
      script,
      `#!/bin/sh
echo $$ > ${workDir}/pid-$GATEHOUSE_WORK_ITEM_ID
trap 'exit 143' TERM
while true; do sleep 0.1; done
`,
      { mode: 0o755 }
    )
    const runner = agentRun(token, script, ['--concurrency=2', '--wait=1'])
    const pidOf = (id: number) => Number(readFileSync(join(workDir, `pid-${id}`), 'utf8'))
    await until(
      async () => existsSync(join(workDir, `pid-${first.id}`)) && existsSync(join(workDir, `pid-${second.id}`)),
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
      async () => (await db.from('runs').where('work_item_id', first.id).first()).status === 'cancelled',
      10_000,
      'the run to end as cancelled'
    )
    await first.refresh()
    assert.equal(first.status, 'cancelled')
    assert.isTrue(alive(secondPid))

    runner.child.kill('SIGINT')
    assert.equal(await runner.exited, 0)
    assert.isFalse(alive(secondPid))
    await second.refresh()
    assert.equal(second.status, 'pending')
    assert.equal(second.attempts, 0, 'a release does not count as an attempt')
    const released = await db.from('runs').where('work_item_id', second.id).first()
    assert.equal(released.status, 'released')
    assert.include(runner.output(), 'released')
  }).timeout(60_000)
})
