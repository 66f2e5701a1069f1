import { test } from '@japa/runner'
import { loadPreset, parsePreset, PresetError } from '#agent_runner/agent_preset'
import CliOutput from '#agent_runner/cli_output'
import { childEnvironment } from '#agent_runner/child_environment'
import { testCounts } from '#agent_runner/item_job'
import { renderPrompt } from '#agent_runner/work_prompt'
import { branchFor } from '#agent_runner/workspaces'

function read(presetName: string, stdout: string) {
  const output = new CliOutput(loadPreset(presetName).output)
  for (const line of stdout.split('\n')) output.line(line)
  return output.reading()
}

function problemsOf(raw: unknown) {
  try {
    parsePreset(raw, 'x.json')
  } catch (error) {
    if (error instanceof PresetError) return error.problems
    throw error
  }
  return []
}

test.group('Shipped agent presets', () => {
  test('every shipped preset loads', ({ assert }) => {
    for (const name of ['claude-code', 'codex', 'gemini', 'shell']) {
      const preset = loadPreset(name)
      assert.equal(preset.name, name)
    }
    assert.isFalse(loadPreset('shell').workspace)
    assert.isTrue(loadPreset('claude-code').workspace)
  })

  test('claude-code reads the result object of `claude -p --output-format json`', ({ assert }) => {
    const result = {
      type: 'result',
      subtype: 'success',
      is_error: false,
      duration_ms: 9000,
      num_turns: 6,
      result: 'Fixed it.',
      session_id: 's1',
      total_cost_usd: 0.1234,
      usage: {
        input_tokens: 10,
        cache_creation_input_tokens: 200,
        cache_read_input_tokens: 3000,
        output_tokens: 400,
      },
      modelUsage: {
        'claude-sonnet-4-5': { costUSD: 0.12 },
        'claude-haiku-4-5': { costUSD: 0.0034 },
      },
    }
    const reading = read('claude-code', `some noise\n${JSON.stringify(result)}\n`)
    assert.deepEqual(reading.costs, {
      usd: 0.1234,
      input_tokens: 3210,
      output_tokens: 400,
      model: 'claude-sonnet-4-5, claude-haiku-4-5',
    })
    assert.equal(reading.summary, 'Fixed it.')
    assert.isFalse(reading.failed)

    const failed = read(
      'claude-code',
      JSON.stringify({ ...result, subtype: 'success', is_error: true, result: 'API Error: 529' })
    )
    assert.isTrue(failed.failed)
    assert.equal(failed.error, 'API Error: 529')
  })

  test('codex sums the usage of its turn.completed events (`codex exec --json`)', ({ assert }) => {
    const events = [
      { type: 'thread.started', thread_id: 't1' },
      { type: 'turn.started' },
      { type: 'item.completed', item: { id: 'i0', type: 'reasoning', text: 'thinking' } },
      {
        type: 'item.completed',
        item: { id: 'i1', type: 'agent_message', text: 'usage: {"input_tokens": 5}' },
      },
      {
        type: 'turn.completed',
        usage: { input_tokens: 24763, cached_input_tokens: 24448, output_tokens: 122 },
      },
      {
        type: 'turn.completed',
        usage: { input_tokens: 1000, cached_input_tokens: 0, output_tokens: 78 },
      },
    ]
    const reading = read('codex', events.map((event) => JSON.stringify(event)).join('\n'))
    assert.deepEqual(reading.costs, { input_tokens: 25763, output_tokens: 200 })
  })

  test('gemini reads its pretty-printed JSON output, tokens summed over models', ({ assert }) => {
    const output = {
      session_id: 'g1',
      response: 'Done: the test waits now.',
      stats: {
        models: {
          'gemini-2.5-pro': {
            api: { totalRequests: 2, totalErrors: 0, totalLatencyMs: 5053 },
            tokens: {
              prompt: 24939,
              candidates: 20,
              total: 25113,
              cached: 21263,
              thoughts: 154,
              tool: 0,
            },
          },
          'gemini-2.5-flash': {
            api: { totalRequests: 1, totalErrors: 0, totalLatencyMs: 500 },
            tokens: { prompt: 61, candidates: 80, total: 141, cached: 0, thoughts: 0, tool: 0 },
          },
        },
        tools: { totalCalls: 1 },
      },
    }
    const reading = read(
      'gemini',
      `Loaded cached credentials.\n${JSON.stringify(output, null, 2)}\n`
    )
    assert.deepEqual(reading.costs, {
      input_tokens: 25000,
      output_tokens: 100,
      model: 'gemini-2.5-pro, gemini-2.5-flash',
    })
    assert.equal(reading.summary, 'Done: the test waits now.')
    assert.isFalse(reading.failed)

    const failed = read(
      'gemini',
      JSON.stringify({ error: { type: 'Error', message: 'quota exceeded', code: 429 } }, null, 2)
    )
    assert.isTrue(failed.failed)
    assert.equal(failed.error, 'quota exceeded')
  })

  test('usd_per_million_tokens prices a CLI that reports tokens only', ({ assert }) => {
    const preset = parsePreset(
      {
        command: ['codex', 'exec', '--json', '-'],
        prompt: { via: 'stdin' },
        output: {
          format: 'jsonl',
          events: { type: 'turn.completed' },
          costs: { input_tokens: 'usage.input_tokens', output_tokens: 'usage.output_tokens' },
          usd_per_million_tokens: { input: 1.25, output: 10 },
        },
      },
      'priced.json'
    )
    const output = new CliOutput(preset.output)
    output.line(
      JSON.stringify({
        type: 'turn.completed',
        usage: { input_tokens: 2_000_000, output_tokens: 100_000 },
      })
    )
    assert.deepEqual(output.reading().costs, {
      input_tokens: 2_000_000,
      output_tokens: 100_000,
      usd: 3.5,
    })
  })
})

test.group('Custom presets', () => {
  test('a bad preset names every problem with its field', ({ assert }) => {
    assert.deepEqual(
      problemsOf({
        command: ['claude', '{prmpt}'],
        prompt: { via: 'argument' },
        env: { allow: ['OK_NAME', 'not a name'], secret: 1 },
        hooks: { after_create: { run: 'npm ci', timeout_seconds: 0 }, on_push: 'x' },
        output: { format: 'json', costs: { dollars: 'cost' }, events: { type: 'x' } },
      }),
      [
        'command: unknown placeholder {prmpt} (known: {prompt}, {prompt_file}, {command}, {worktree}, {branch})',
        'prompt.via "argument" needs a {prompt} placeholder in command',
        'env.secret: unknown field',
        'env.allow: must be an array of variable names (a trailing * matches a prefix, "*" everything)',
        'hooks.after_create: timeout_seconds must be a number of seconds from 1 to 86400',
        'hooks.on_push: unknown hook (known: after_create, before_run, after_run)',
        'output.events: only for format "jsonl"',
        'output.costs.dollars: unknown field',
      ]
    )
    assert.deepEqual(problemsOf([1, 2]), ['the file must hold one JSON object'])
    assert.deepEqual(
      problemsOf({
        command: ['sh', '-c', '{command}'],
        workspace: false,
        prompt: { via: 'stdin' },
      }),
      ['prompt: a preset without a workspace gets no prompt (set via to "none")']
    )
  })

  test('a valid preset gets defaults: a workspace, no prompt, hooks with a timeout', ({
    assert,
  }) => {
    const preset = parsePreset(
      {
        command: ['my-agent', '--task-file', '{prompt_file}'],
        prompt: { via: 'file' },
        hooks: { after_create: 'npm ci' },
      },
      'mine.json'
    )
    assert.isTrue(preset.workspace)
    assert.deepEqual(preset.hooks, { after_create: { run: 'npm ci', timeout_seconds: 600 } })
    assert.equal(preset.output.format, 'text')
    assert.equal(preset.name, 'mine.json')
  })
})

test.group('Agent runner pieces', () => {
  test('the child environment holds only allowed variables and never a Gatehouse secret', ({
    assert,
  }) => {
    const env = childEnvironment(
      {
        PATH: '/bin',
        HOME: '/home/a',
        LC_ALL: 'C',
        GATEHOUSE_TOKEN: 'gha_x',
        GATEHOUSE_GIT_TOKEN: 'ghp_x',
        DATABASE_URL: 'postgres://secret',
        ANTHROPIC_API_KEY: 'sk',
        CLAUDE_CODE_USE_BEDROCK: '1',
        AWS_SECRET_ACCESS_KEY: 'aws',
      },
      ['ANTHROPIC_API_KEY', 'CLAUDE_CODE_*'],
      { CI: 'true', GATEHOUSE_TOKEN: 'sneaked' }
    )
    assert.deepEqual(env, {
      PATH: '/bin',
      HOME: '/home/a',
      LC_ALL: 'C',
      ANTHROPIC_API_KEY: 'sk',
      CLAUDE_CODE_USE_BEDROCK: '1',
      CI: 'true',
    })
    const everything = childEnvironment({ A: '1', GATEHOUSE_TOKEN: 'x', APP_KEY: 'k' }, ['*'])
    assert.deepEqual(everything, { A: '1' })
  })

  test('prompt templates: values, and sections only when their value is not empty', ({
    assert,
  }) => {
    const template =
      'Title: {{title}}\n{{#feedback}}\nFeedback:\n{{feedback}}\n{{/feedback}}\nIssue{{#issue}} #{{issue}}{{/issue}}.\n'
    assert.equal(
      renderPrompt(template, { title: 'Fix {{it}}', feedback: '[1]', issue: '42' }),
      'Title: Fix {{it}}\nFeedback:\n[1]\nIssue #42.\n'
    )
    assert.equal(
      renderPrompt(template, { title: 'T', feedback: '', issue: '' }),
      'Title: T\nIssue.\n'
    )
  })

  test('test counts: a JSON line, TAP-style totals, else the exit code', ({ assert }) => {
    assert.deepEqual(testCounts(['ok', '{"passed":7,"failed":1,"skipped":2}'], false), {
      passed: 7,
      failed: 1,
      skipped: 2,
    })
    assert.deepEqual(
      testCounts(['# tests 9', '# pass 8', '# fail 1', '# skipped 0', 'done'], false),
      {
        passed: 8,
        failed: 1,
        skipped: 0,
      }
    )
    assert.deepEqual(testCounts(['all good'], true), { passed: 1, failed: 0, skipped: 0 })
    assert.deepEqual(testCounts([], false), { passed: 0, failed: 1, skipped: 0 })
  })

  test('branches are gatehouse/<item id>-<slug of the title>', ({ assert }) => {
    assert.equal(
      branchFor(17, 'Fix the flaky login test!'),
      'gatehouse/17-fix-the-flaky-login-test'
    )
    assert.equal(branchFor(3, 'Élan: über “quotes” & $HOME'), 'gatehouse/3-elan-uber-quotes-home')
    assert.equal(branchFor(4, '???'), 'gatehouse/4')
    assert.equal(branchFor(6, 'x'.repeat(60)), `gatehouse/6-${'x'.repeat(40)}`)
    assert.equal(
      branchFor(5, 'a very long title that goes on and on and on forever'),
      'gatehouse/5-a-very-long-title-that-goes-on-and-on'
    )
  })
})
