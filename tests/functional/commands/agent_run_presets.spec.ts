import { test } from '@japa/runner'
import { execFileSync } from 'node:child_process'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import db from '@adonisjs/lucid/services/db'
import Policy from '#models/policy'
import type Project from '#models/project'
import { UserFactory } from '#database/factories/user_factory'
import { discardQueuedJobs } from '#tests/support/queued_jobs'
import FakeGitHub from '#tests/support/fake_github/fake_github'
import {
  aceProcess,
  alive,
  forwardToServer,
  killStarted,
  serverUrl,
  until,
} from '#tests/support/agent_run_process'
import { emptyWorld } from '#tests/support/test_database'
import { ProjectFactory } from '#database/factories/project_factory'
import { WorkItemFactory } from '#database/factories/work_item_factory'
import { AgentFactory } from '#database/factories/agent_factory'
import { agentWithToken } from '#tests/support/claimed_run'

const GIT_TOKEN = 'ghp_gitTokenThatMustNeverBeLogged0123'

function git(args: string[], cwd: string) {
  return execFileSync('git', args, {
    cwd,
    encoding: 'utf8',
    env: {
      ...process.env,
      GIT_AUTHOR_NAME: 'Seed',
      GIT_AUTHOR_EMAIL: 'seed@example.com',
      GIT_COMMITTER_NAME: 'Seed',
      GIT_COMMITTER_EMAIL: 'seed@example.com',
    },
  }).trim()
}

/**
 * A stand-in for Claude Code's print mode (`claude -p … --output-format json`): it records its
 * prompt (stdin), arguments, environment and directory, edits the worktree unless the item's
 * title says `noop`, loops (the first time) when it says `slow`, and prints one result object as Claude Code does.
 */
function fakeClaude(binDir: string, recordDir: string) {
  const result = {
    type: 'result',
    subtype: 'success',
    is_error: false,
    duration_ms: 2100,
    duration_api_ms: 1900,
    num_turns: 4,
    result: 'Made the login test wait for the session.',
    session_id: '7f2c9a1e',
    total_cost_usd: 0.0421,
    usage: {
      input_tokens: 120,
      cache_creation_input_tokens: 300,
      cache_read_input_tokens: 1000,
      output_tokens: 456,
      server_tool_use: { web_search_requests: 0 },
      service_tier: 'standard',
    },
    modelUsage: {
      'claude-sonnet-4-5': {
        inputTokens: 120,
        outputTokens: 456,
        cacheReadInputTokens: 1000,
        cacheCreationInputTokens: 300,
        costUSD: 0.0421,
      },
    },
    permission_denials: [],
  }
  mkdirSync(binDir, { recursive: true })
  writeFileSync(
    join(binDir, 'claude'),
    `#!/bin/sh
at="${recordDir}/$GATEHOUSE_WORK_ITEM_ID-$GATEHOUSE_ATTEMPT"
cat > "$at.prompt"
printf '%s\\n' "$@" > "$at.argv"
env | sort > "$at.env"
pwd > "$at.cwd"
[ -n "$GATEHOUSE_FEEDBACK_FILE" ] && cp "$GATEHOUSE_FEEDBACK_FILE" "$at.feedback"
case "$GATEHOUSE_WORK_ITEM_TITLE" in
  *slow*) if [ ! -e "$at.pid" ]; then echo $$ > "$at.pid"; trap 'exit 143' TERM; while true; do sleep 0.1; done; fi
    echo "worked after a stop" >> login.test.js ;;
  *noop*) ;;
  *) echo "attempt $GATEHOUSE_ATTEMPT of item $GATEHOUSE_WORK_ITEM_ID" >> login.test.js ;;
esac
echo "thinking about it" >&2
echo '${JSON.stringify(result)}'
`,
    { mode: 0o755 }
  )
}

test.group('agent:run with a coding CLI preset', (group) => {
  let workDir: string
  let fake: FakeGitHub
  group.setup(async () => {
    fake = await FakeGitHub.start({ token: GIT_TOKEN })
    return () => fake.stop()
  })
  group.each.setup(async () => {
    await emptyWorld()
    fake.reset()
    workDir = mkdtempSync(join(tmpdir(), 'gatehouse-presets-'))
    chmodSync(workDir, 0o755)
    mkdirSync(join(workDir, 'record'))
    fakeClaude(join(workDir, 'bin'), join(workDir, 'record'))
    return async () => {
      killStarted()
      rmSync(workDir, { recursive: true, force: true })
      await emptyWorld()
      await discardQueuedJobs()
    }
  })

  /** A bare repository as `origin` with one commit on main; GitHub knows issue #42 of it. */
  function originFor(project: Project) {
    const origin = join(workDir, 'origin', `${project.repoFullName}.git`)
    mkdirSync(origin, { recursive: true })
    git(['init', '--bare', '--quiet', origin], workDir)
    const seed = join(workDir, 'seed')
    git(['init', '--quiet', seed], workDir)
    writeFileSync(join(seed, 'login.test.js'), "test('login', () => {})\n")
    git(['add', '.'], seed)
    git(['commit', '--quiet', '-m', 'First commit'], seed)
    git(['push', '--quiet', origin, 'HEAD:refs/heads/main'], seed)
    rmSync(seed, { recursive: true, force: true })
    fake.issue(project.repoFullName, { number: 42, title: 'Flaky login test' })
    return { origin, mainSha: git(['rev-parse', 'refs/heads/main'], origin) }
  }

  function runner(token: string, flags: string[], server = serverUrl()) {
    return aceProcess(
      [
        'agent:run',
        `--server=${server}`,
        ...(flags.some((flag) => flag.startsWith('--preset=')) ? [] : ['--preset=claude-code']),
        `--git-url=${join(workDir, 'origin')}/{repo}.git`,
        `--workspaces=${join(workDir, 'workspaces')}`,
        '--grace=2',
        '--json',
        ...flags,
      ],
      {
        GATEHOUSE_TOKEN: token,
        GATEHOUSE_GIT_TOKEN: GIT_TOKEN,
        GITHUB_API_URL: fake.url,
        PATH: `${join(workDir, 'bin')}:${process.env.PATH}`,
        ANTHROPIC_API_KEY: 'sk-ant-for-the-cli',
        AWS_SECRET_ACCESS_KEY: 'an-unrelated-secret',
      }
    )
  }

  const recorded = (itemId: number, attempt: number, what: string) =>
    readFileSync(join(workDir, 'record', `${itemId}-${attempt}.${what}`), 'utf8')

  const envOf = (itemId: number, attempt: number) =>
    Object.fromEntries(
      recorded(itemId, attempt, 'env')
        .trim()
        .split('\n')
        .map((line) => line.split(/=(.*)/s).slice(0, 2))
    )

  async function allLogLines() {
    const rows = await db.from('run_logs').select('message')
    return rows.map((row) => row.message as string)
  }

  test('the fake claude works a GitHub item: worktree, hook, commit, push, PR with Fixes #42, costs', async ({
    assert,
  }) => {
    const project = await ProjectFactory.create()
    const { origin, mainSha } = originFor(project)
    const { token } = await agentWithToken(AgentFactory.create())
    const item = await WorkItemFactory.apply('due')
      .merge({ projectId: project.id, title: 'Fix the flaky login test' })
      .create()
    item.payload = { issue_number: 42, title: 'Flaky login test', body: 'It fails one run in ten.' }
    await item.save()

    const hookOutput = join(workDir, 'after_create.txt')
    const agent = runner(token, ['--exit-when-idle', `--after-create=pwd > ${hookOutput}`])
    assert.equal(await agent.exited, 0, agent.output())

    const run = await db.from('runs').where('work_item_id', item.id).firstOrFail()
    const branch = `gatehouse/${item.id}-fix-the-flaky-login-test`
    assert.equal(run.status, 'succeeded', agent.output())
    assert.equal(run.branch_name, branch)

    // Pushed to origin: one commit on top of main, with the CLI's edit.
    const pushed = git(['rev-parse', `refs/heads/${branch}`], origin)
    assert.equal(run.head_sha, pushed)
    assert.equal(git(['rev-parse', `${pushed}^`], origin), mainSha)
    assert.include(git(['show', `${pushed}:login.test.js`], origin), `attempt 1 of item ${item.id}`)
    assert.include(git(['log', '-1', '--format=%B', pushed], origin), 'Fix the flaky login test')

    // The pull request, through the GitHub API with the git token.
    const pulls = fake.pulls(project.repoFullName)
    assert.lengthOf(pulls, 1)
    assert.equal(pulls[0].head.ref, branch)
    assert.equal(pulls[0].base.ref, 'main')
    assert.equal(pulls[0].title, 'Fix the flaky login test')
    assert.match(pulls[0].body, /^Fixes #42\n/)
    assert.include(pulls[0].body, 'Made the login test wait for the session.')
    assert.include(pulls[0].body, `${serverUrl()}/runs/${run.id}`)
    assert.equal(fake.requestsTo('POST', /\/pulls$/)[0].authorization, `token ${GIT_TOKEN}`)
    assert.equal(run.pr_number, pulls[0].number)
    assert.equal(run.pr_url, pulls[0].html_url)

    // Costs and tokens from Claude Code's result object; the summary is its `result`.
    assert.equal(Number(run.cost_usd), 0.0421)
    assert.deepInclude(run.costs, {
      usd: 0.0421,
      input_tokens: 1420,
      output_tokens: 456,
      model: 'claude-sonnet-4-5',
    })
    assert.equal(run.summary, 'Made the login test wait for the session.')

    // The worktree: after_create ran in it, the CLI ran in it, and it is gone after the run.
    const worktree = join(workDir, 'workspaces', 'runs', `run-${run.id}`, 'worktree')
    assert.equal(readFileSync(hookOutput, 'utf8').trim(), worktree)
    assert.equal(recorded(item.id, 1, 'cwd').trim(), worktree)
    assert.isFalse(existsSync(worktree))
    assert.isTrue(existsSync(join(workDir, 'workspaces', 'mirrors', `${project.repoFullName}.git`)))

    // The prompt came on stdin, the instruction and the JSON output format as arguments.
    const prompt = recorded(item.id, 1, 'prompt')
    assert.include(prompt, '# Fix the flaky login test')
    assert.include(prompt, 'It fails one run in ten.')
    assert.include(prompt, `\`${branch}\``)
    assert.include(prompt, 'GitHub issue #42')
    const argv = recorded(item.id, 1, 'argv').trim().split('\n')
    assert.equal(argv[0], '-p')
    assert.includeMembers(argv, ['--output-format', 'json'])

    // The CLI's environment: what its preset allows, never a Gatehouse or git secret.
    const env = envOf(item.id, 1)
    assert.equal(env.ANTHROPIC_API_KEY, 'sk-ant-for-the-cli')
    assert.equal(env.GATEHOUSE_WORK_BRANCH, branch)
    assert.equal(env.GATEHOUSE_WORK_ITEM_ID, String(item.id))
    for (const stripped of [
      'GATEHOUSE_TOKEN',
      'GATEHOUSE_GIT_TOKEN',
      'AWS_SECRET_ACCESS_KEY',
      'DATABASE_URL',
      'GIT_ASKPASS',
    ]) {
      assert.notProperty(env, stripped)
    }
    assert.notInclude(recorded(item.id, 1, 'env'), GIT_TOKEN)
    assert.notInclude(recorded(item.id, 1, 'env'), token)

    // Neither token appears in any log line nor in the runner's own output.
    const lines = await allLogLines()
    assert.include(lines, 'thinking about it')
    for (const line of [...lines, agent.output()]) {
      assert.notInclude(line, GIT_TOKEN)
      assert.notInclude(line, token)
    }
  }).timeout(120_000)

  test('a rejected attempt continues on the same branch and pull request (continue_from, feedback)', async ({
    assert,
  }) => {
    const project = await ProjectFactory.merge({ gatesConfig: { tests_reported: true } }).create()
    await Policy.createMany([
      { projectId: project.id, key: 'max_attempts', value: 2 },
      { projectId: project.id, key: 'retry_backoff_seconds', value: 0 },
    ])
    const { origin } = originFor(project)
    const { token } = await agentWithToken(AgentFactory.create())
    const item = await WorkItemFactory.apply('due')
      .merge({ projectId: project.id, title: 'Fix the flaky login test' })
      .create()

    // Until the server says so itself, a proxy adds feedback to a retried item's claim answer,
    // from its last run, in the feedback issue's shape (continue_from inside feedback).
    const proxy = createServer((request, response) =>
      forwardToServer(request, response, async (answer) => {
        const previous = await db
          .from('runs')
          .where('work_item_id', answer.work_item.id)
          .whereNotNull('pr_number')
          .orderBy('id', 'desc')
          .first()
        if (!previous || answer.continue_from || answer.feedback?.continue_from) return answer
        return {
          ...answer,
          feedback: {
            attempts: [
              {
                run_id: previous.id,
                attempt: previous.attempt,
                outcome: 'rejected',
                gates: previous.gate_results,
              },
            ],
            continue_from: {
              run_id: previous.id,
              branch_name: previous.branch_name,
              pr_number: previous.pr_number,
              pr_url: previous.pr_url,
              head_sha: previous.head_sha,
            },
            notes: [],
          },
        }
      })
    )
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve))
    const { port } = proxy.address() as AddressInfo
    // The first attempt's tests fail (the gate rejects it); the second attempt's pass.
    const tests = `[ "$GATEHOUSE_ATTEMPT" = 1 ] && echo '{"passed":3,"failed":1}' || echo '{"passed":4,"failed":0}'`
    const agent = runner(token, ['--wait=1', `--test-command=${tests}`], `http://127.0.0.1:${port}`)
    try {
      await until(
        async () => {
          await item.refresh()
          return item.status === 'completed'
        },
        120_000,
        'the second attempt to be accepted'
      )
    } finally {
      agent.child.kill('SIGINT')
      await agent.exited
      proxy.close()
    }

    const [first, second] = await db.from('runs').where('work_item_id', item.id).orderBy('attempt')
    assert.equal(first.gate_status, 'failed')
    assert.deepEqual(first.tests, { passed: 3, failed: 1 })
    assert.equal(second.status, 'succeeded')
    assert.equal(second.gate_status, 'passed')
    assert.equal(second.branch_name, first.branch_name)
    assert.equal(second.pr_number, first.pr_number)
    assert.equal(second.pr_url, first.pr_url)

    // The second attempt's commit sits on top of the first one's, on the same branch.
    const tip = git(['rev-parse', `refs/heads/${first.branch_name}`], origin)
    assert.equal(second.head_sha, tip)
    assert.equal(git(['rev-parse', `${tip}^`], origin), first.head_sha)
    assert.include(git(['show', `${tip}:login.test.js`], origin), `attempt 2 of item ${item.id}`)

    // One pull request, updated rather than opened again.
    assert.lengthOf(fake.pulls(project.repoFullName), 1)
    assert.lengthOf(fake.requestsTo('POST', /\/pulls$/), 1)
    assert.lengthOf(fake.requestsTo('PATCH', new RegExp(`/pulls/${first.pr_number}$`)), 1)
    // Found through continue_from's pr_number, not by searching the branch's pull requests.
    assert.lengthOf(fake.requestsTo('GET', new RegExp(`/pulls/${first.pr_number}$`)), 1)
    assert.lengthOf(fake.requestsTo('GET', /\/pulls$/), 1)

    // The feedback reached the CLI as GATEHOUSE_FEEDBACK_FILE and in its prompt.
    // (Its shape is the server's; what matters here is that the verdict reached the CLI.)
    const feedback = recorded(item.id, 2, 'feedback')
    assert.include(feedback, '"rejected"')
    assert.include(feedback, '"tests_reported"')
    const prompt = recorded(item.id, 2, 'prompt')
    assert.include(prompt, 'another attempt')
    assert.include(prompt, 'tests_reported')
    assert.notInclude(recorded(item.id, 1, 'prompt'), 'another attempt')
  }).timeout(150_000)

  test("the shell preset gets the claim's feedback as GATEHOUSE_FEEDBACK_FILE and in the stdin JSON", async ({
    assert,
  }) => {
    const project = await ProjectFactory.create()
    const { token } = await agentWithToken(AgentFactory.create())
    const item = await WorkItemFactory.apply('due').merge({ projectId: project.id }).create()
    const feedback = [{ attempt: 1, outcome: 'rejected', gates: [{ gate: 'tests_reported' }] }]
    const proxy = createServer((request, response) =>
      forwardToServer(request, response, (answer) => ({ ...answer, feedback }))
    )
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve))
    const { port } = proxy.address() as AddressInfo
    const script = `cp "$GATEHOUSE_FEEDBACK_FILE" ${workDir}/feedback.json; cat > ${workDir}/stdin.json`
    try {
      const agent = runner(
        token,
        ['--exit-when-idle', '--preset=shell', `--command=${script}`],
        `http://127.0.0.1:${port}`
      )
      assert.equal(await agent.exited, 0, agent.output())
    } finally {
      proxy.close()
    }
    assert.deepEqual(JSON.parse(readFileSync(join(workDir, 'feedback.json'), 'utf8')), feedback)
    const stdin = JSON.parse(readFileSync(join(workDir, 'stdin.json'), 'utf8'))
    assert.equal(stdin.id, item.id)
    assert.deepEqual(stdin.feedback, feedback)
    // The feedback file lived only for the run.
    const run = await db.from('runs').where('work_item_id', item.id).firstOrFail()
    assert.equal(run.status, 'succeeded')
    assert.isFalse(existsSync(join(workDir, 'workspaces', 'runs', `run-${run.id}`)))
  }).timeout(120_000)

  test('a CLI that changes nothing fails with "no changes" and pushes nothing', async ({
    assert,
  }) => {
    const project = await ProjectFactory.create()
    const { origin } = originFor(project)
    const { token } = await agentWithToken(AgentFactory.create())
    const item = await WorkItemFactory.apply('due')
      .merge({ projectId: project.id, title: 'A noop item' })
      .create()
    const agent = runner(token, ['--exit-when-idle'])
    assert.equal(await agent.exited, 0, agent.output())

    const run = await db.from('runs').where('work_item_id', item.id).firstOrFail()
    assert.equal(run.status, 'failed')
    assert.equal(run.error, 'no changes')
    assert.isNull(run.pr_number)
    assert.equal(git(['for-each-ref', 'refs/heads/gatehouse/'], origin), '')
    assert.lengthOf(fake.requestsTo('POST', /\/pulls$/), 0)
    // Failed without --keep-failed: the worktree is removed.
    assert.isFalse(existsSync(join(workDir, 'workspaces', 'runs', `run-${run.id}`)))
  }).timeout(120_000)

  test('a cancel mid-run stops the CLI; --keep-failed keeps its worktree', async ({ assert }) => {
    const project = await ProjectFactory.create()
    await Policy.create({ projectId: project.id, key: 'lease_seconds', value: 3 })
    originFor(project)
    const { token } = await agentWithToken(AgentFactory.create())
    const item = await WorkItemFactory.apply('due')
      .merge({ projectId: project.id, title: 'A slow item' })
      .create()
    const agent = runner(token, ['--wait=1', '--keep-failed'])
    const pidFile = join(workDir, 'record', `${item.id}-1.pid`)
    await until(async () => existsSync(pidFile), 30_000, 'the CLI to start')
    const pid = Number(readFileSync(pidFile, 'utf8'))

    await item.cancel(await UserFactory.apply('admin').create())
    await until(async () => !alive(pid), 10_000, 'the CLI to be stopped')
    await until(
      async () => {
        const run = await db.from('runs').where('work_item_id', item.id).first()
        return run.status === 'cancelled'
      },
      10_000,
      'the run to end as cancelled'
    )
    agent.child.kill('SIGINT')
    assert.equal(await agent.exited, 0, agent.output())
    const run = await db.from('runs').where('work_item_id', item.id).firstOrFail()
    const worktree = join(workDir, 'workspaces', 'runs', `run-${run.id}`, 'worktree')
    assert.isTrue(existsSync(join(worktree, 'login.test.js')))
    assert.include(agent.output(), 'cancelled')

    // Requeued, the item is worked again beside the kept worktree, which holds its branch.
    await item.requeue(await UserFactory.apply('admin').create())
    const again = runner(token, ['--exit-when-idle', '--keep-failed'])
    assert.equal(await again.exited, 0, again.output())
    const retried = await db
      .from('runs')
      .where('work_item_id', item.id)
      .orderBy('id', 'desc')
      .first()
    assert.equal(retried.status, 'succeeded', again.output())
    assert.equal(retried.branch_name, `gatehouse/${item.id}-a-slow-item`)
    assert.isTrue(existsSync(worktree))
  }).timeout(120_000)

  test('--max-run-seconds stops the CLI, fails the run with the reason and removes the worktree', async ({
    assert,
  }) => {
    const project = await ProjectFactory.create()
    originFor(project)
    const { token } = await agentWithToken(AgentFactory.create())
    const item = await WorkItemFactory.apply('due')
      .merge({ projectId: project.id, title: 'Another slow item' })
      .create()
    const agent = runner(token, ['--exit-when-idle', '--max-run-seconds=2'])
    assert.equal(await agent.exited, 0, agent.output())

    const run = await db.from('runs').where('work_item_id', item.id).firstOrFail()
    assert.equal(run.status, 'failed')
    assert.equal(run.error, 'stopped after --max-run-seconds=2')
    assert.isFalse(alive(Number(recorded(item.id, 1, 'pid'))))
    assert.isFalse(existsSync(join(workDir, 'workspaces', 'runs', `run-${run.id}`)))
    assert.lengthOf(fake.requestsTo('POST', /\/pulls$/), 0)
  }).timeout(120_000)

  test('a custom preset file is loaded; a bad one stops agent:run with every problem named', async ({
    assert,
  }) => {
    const project = await ProjectFactory.create()
    const { origin } = originFor(project)
    const { token } = await agentWithToken(AgentFactory.create())
    const item = await WorkItemFactory.apply('due')
      .merge({ projectId: project.id, title: 'Scripted change' })
      .create()
    const custom = join(workDir, 'my-preset.json')
    writeFileSync(
      custom,
      JSON.stringify({
        name: 'my-script',
        command: [
          'sh',
          '-c',
          `echo scripted >> notes.txt; echo '{"summary":"scripted","costs":{"usd":0.5}}'`,
        ],
        output: { format: 'last_json_line' },
      })
    )
    const agent = runner(token, ['--exit-when-idle', `--preset=${custom}`])
    assert.equal(await agent.exited, 0, agent.output())
    const run = await db.from('runs').where('work_item_id', item.id).firstOrFail()
    assert.equal(run.status, 'succeeded', agent.output())
    assert.equal(run.summary, 'scripted')
    assert.equal(Number(run.cost_usd), 0.5)
    assert.equal(git(['show', `${run.head_sha}:notes.txt`], origin), 'scripted')

    const bad = join(workDir, 'bad-preset.json')
    writeFileSync(
      bad,
      JSON.stringify({
        command: 'claude -p',
        prompt: { via: 'carrier-pigeon' },
        output: { format: 'xml' },
        colour: 'blue',
      })
    )
    const refused = runner(token, [`--preset=${bad}`])
    assert.equal(await refused.exited, 1)
    const output = refused.output()
    assert.include(output, `preset ${bad} is not valid:`)
    assert.include(output, 'colour: unknown field')
    assert.include(output, 'command: must be a non-empty array of strings')
    assert.include(output, 'prompt.via: must be one of argument, stdin, file, none')
    assert.include(output, 'output.format: must be one of json, jsonl, last_json_line, text')

    const missing = runner(token, ['--preset=nope'])
    assert.equal(await missing.exited, 1)
    assert.include(missing.output(), 'preset nope is not valid: no shipped preset of that name')

    const absent = join(workDir, 'absent.json')
    writeFileSync(absent, JSON.stringify({ name: 'absent', command: ['no-such-coding-cli'] }))
    const notInstalled = runner(token, [`--preset=${absent}`])
    assert.equal(await notInstalled.exited, 1)
    assert.include(
      notInstalled.output(),
      'no-such-coding-cli (preset absent) is not installed or not on PATH'
    )
  }).timeout(120_000)
})
