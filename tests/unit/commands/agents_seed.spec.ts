import { test } from '@japa/runner'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import testUtils from '@adonisjs/core/services/test_utils'
import { Secret } from '@adonisjs/core/helpers'
import Agent from '#models/agent'
import AuditEvent from '#models/audit_event'
import AgentsSeed from '#commands/agents_seed'
import { AgentFactory } from '#database/factories/agent_factory'
import { ProjectFactory } from '#database/factories/project_factory'
import { databaseSnapshot } from '#tests/support/database_snapshot'
import { errorsOf, keepCommandOutput, runCommand } from '#tests/support/ace_commands'

const EXAMPLE = 'config/agents.example.json'

test.group('agents:seed', (group) => {
  let dir: string
  group.each.setup(() => testUtils.db().truncate())
  keepCommandOutput(group)
  group.each.setup(() => {
    dir = mkdtempSync(join(tmpdir(), 'gatehouse-seed-'))
    return () => rmSync(dir, { recursive: true, force: true })
  })
  const file = (name: string, text: string) => {
    writeFileSync(join(dir, name), text)
    return join(dir, name)
  }

  test('creates the example agents, each with its audit event', async ({ assert }) => {
    const command = await runCommand(AgentsSeed, [EXAMPLE])

    command.assertSucceeded()
    const agents = await Agent.query().orderBy('key')
    assert.deepEqual(
      agents.map((agent) => [agent.key, agent.maxConcurrency, agent.enabled]),
      [
        ['claude-coder', 2, true],
        ['codex-coder', 1, true],
        ['reviewer', 3, true],
        ['tester', 1, true],
      ]
    )
    assert.deepEqual(agents[0].capabilities, {
      work_types: ['code', 'fix_ci', 'refactor'],
      tags: ['anthropic', 'typescript'],
    })
    const events = await AuditEvent.query().where('action', 'agent.created').orderBy('subjectId')
    assert.deepEqual(
      events.map((event) => [event.actorType, event.subjectId]),
      agents.map((a) => ['system', a.id])
    )
    command.assertTableRows([
      ['claude-coder', 'created', ''],
      ['codex-coder', 'created', ''],
      ['reviewer', 'created', ''],
      ['tester', 'created', ''],
    ])
    command.assertLog('[ green(success) ] 4 agent(s) changed, 0 token(s) issued')
  })

  test('a second run changes nothing and says so', async ({ assert }) => {
    await runCommand(AgentsSeed, [EXAMPLE])
    const before = await databaseSnapshot()

    const command = await runCommand(AgentsSeed, [EXAMPLE])

    command.assertSucceeded()
    command.assertLog('[ blue(info) ] Nothing to change: 4 agent(s) already as the file says')
    assert.deepEqual(await databaseSnapshot(), before)
  })

  test('updates what changed, names the fields, and leaves enabled alone unless the file sets it', async ({
    assert,
  }) => {
    await runCommand(AgentsSeed, [EXAMPLE])
    const tester = await Agent.findByOrFail('key', 'tester')
    tester.merge({ enabled: false, maxConcurrency: 5 })
    await tester.save()
    const path = file(
      'agents.json',
      JSON.stringify([
        {
          key: 'tester',
          name: 'Test writer',
          max_concurrency: 1,
          capabilities: { work_types: ['test'] },
        },
        { key: 'reviewer', name: 'Reviewer', enabled: false },
      ])
    )

    const command = await runCommand(AgentsSeed, [path])

    command.assertSucceeded()
    command.assertTableRows([
      ['tester', 'updated', 'description, capabilities, modelName, modelVersion, maxConcurrency'],
      [
        'reviewer',
        'updated',
        'name, description, capabilities, modelName, modelVersion, maxConcurrency, enabled',
      ],
    ])
    await tester.refresh()
    assert.equal(tester.maxConcurrency, 1)
    assert.isFalse(
      tester.enabled,
      'a file without "enabled" does not re-enable an agent a human disabled'
    )
    assert.deepEqual(tester.capabilities, { work_types: ['test'], tags: [] })
    const reviewer = await Agent.findByOrFail('key', 'reviewer')
    assert.isFalse(reviewer.enabled)
    const actions = await AuditEvent.query().where('subjectId', reviewer.id).orderBy('id')
    assert.deepEqual(
      actions.map((event) => event.action),
      ['agent.created', 'agent.updated', 'agent.disabled']
    )
  })

  test('"projects" limits an agent to those projects; changing them is an update', async ({
    assert,
  }) => {
    const shop = await ProjectFactory.merge({ slug: 'shop' }).create()
    const blog = await ProjectFactory.merge({ slug: 'blog' }).create()
    const agents = (projects: string[]) =>
      file('agents.json', JSON.stringify([{ key: 'scoped', name: 'Scoped', projects }]))

    const created = await runCommand(AgentsSeed, [agents(['shop'])])
    created.assertSucceeded()
    const agent = await Agent.findByOrFail('key', 'scoped')
    assert.deepEqual(agent.projectIds, [shop.id])

    const updated = await runCommand(AgentsSeed, [agents(['shop', 'blog'])])
    updated.assertSucceeded()
    await agent.refresh()
    assert.deepEqual(agent.projectIds, [shop.id, blog.id])
    const update = await AuditEvent.query().where('action', 'agent.updated').firstOrFail()
    assert.deepEqual(update.details.fields, ['projectIds'])

    const unknown = await runCommand(AgentsSeed, [agents(['nowhere'])])
    unknown.assertFailed()
    assert.include(errorsOf(unknown).join(' '), 'No project with slug "nowhere"')
  })

  test('--tokens issues one working token to each agent without one, printed once', async ({
    assert,
  }) => {
    const command = await runCommand(AgentsSeed, [EXAMPLE, '--tokens'])

    command.assertSucceeded()
    const printed = command.logger
      .getLogs()
      .map((log) => log.message)
      .join('\n')
    const tokens = [...printed.matchAll(/gha_[A-Za-z0-9_.-]+/g)].map((match) => match[0])
    assert.lengthOf(tokens, 4)
    for (const token of tokens) {
      const verified = await Agent.accessTokens.verify(new Secret(token))
      assert.isNotNull(verified)
    }
    assert.equal(
      await AuditEvent.query()
        .where('action', 'agent.token_issued')
        .count('* as n')
        .first()
        .then((r) => Number(r!.$extras.n)),
      4
    )

    const again = await runCommand(AgentsSeed, [EXAMPLE, '--tokens'])
    again.assertLog('[ blue(info) ] Nothing to change: 4 agent(s) already as the file says')
    assert.notMatch(
      again.logger
        .getLogs()
        .map((log) => log.message)
        .join('\n'),
      /gha_/
    )
  })

  test('--prune disables agents the file does not name and deletes nothing', async ({ assert }) => {
    const stray = await AgentFactory.merge({ key: 'old-bot' }).create()
    const alreadyOff = await AgentFactory.merge({ key: 'older-bot', enabled: false }).create()

    const command = await runCommand(AgentsSeed, [EXAMPLE, '--prune'])

    command.assertSucceeded()
    await stray.refresh()
    assert.isFalse(stray.enabled)
    await alreadyOff.refresh()
    assert.isFalse(alreadyOff.enabled)
    assert.equal(
      await Agent.query()
        .count('* as n')
        .first()
        .then((r) => Number(r!.$extras.n)),
      6
    )
    const disabled = await AuditEvent.query().where('action', 'agent.disabled')
    assert.deepEqual(
      disabled.map((event) => event.subjectId),
      [stray.id]
    )
    assert.include(disabled[0].details.reason as string, '--prune')
  })

  test('without --prune, agents missing from the file stay as they are', async ({ assert }) => {
    const stray = await AgentFactory.merge({ key: 'old-bot' }).create()
    await runCommand(AgentsSeed, [EXAMPLE])
    await stray.refresh()
    assert.isTrue(stray.enabled)
  })

  test('--json prints the changes and the tokens', async ({ assert }) => {
    const command = await runCommand(AgentsSeed, [EXAMPLE, '--tokens', '--json'])
    const output = JSON.parse(command.logger.getLogs()[0].message)
    assert.lengthOf(output.changes, 4)
    assert.deepEqual(output.changes[0], { key: 'claude-coder', change: 'created', fields: [] })
    assert.lengthOf(output.tokens, 4)
    assert.match(output.tokens[0].value, /^gha_/)
  })

  test('a missing file fails with its path and changes nothing', async ({ assert }) => {
    const before = await databaseSnapshot()
    const command = await runCommand(AgentsSeed, [join(dir, 'nope.json')])
    command.assertFailed()
    assert.deepEqual(errorsOf(command), [
      `[ red(error) ] cannot read ${join(dir, 'nope.json')}: ENOENT`,
    ])
    assert.deepEqual(await databaseSnapshot(), before)
  })

  test('without a file argument it reads config/agents.json and says how to start', async ({
    assert,
  }) => {
    const command = await runCommand(AgentsSeed, [])
    command.assertFailed()
    assert.match(
      errorsOf(command)[0],
      /cannot read .*config\/agents\.json: ENOENT \(copy config\/agents\.example\.json to start\)/
    )
  })

  test('invalid JSON is reported with its line and changes nothing', async ({ assert }) => {
    await runCommand(AgentsSeed, [EXAMPLE])
    const before = await databaseSnapshot()
    const path = file(
      'broken.json',
      '[\n  {"key": "a", "name": "A"},\n  {"key": "b", name: "B"}\n]'
    )

    const command = await runCommand(AgentsSeed, [path])

    command.assertFailed()
    const [problem, summary] = errorsOf(command)
    assert.match(problem, /^\[ red\(error\) \] line 3: invalid JSON: /)
    assert.equal(summary, `[ red(error) ] ${path}: 1 problem(s); nothing changed`)
    assert.deepEqual(await databaseSnapshot(), before)
  })

  test('a file that is not an array of agents is refused', async () => {
    const command = await runCommand(AgentsSeed, [file('object.json', '{"agents": []}')])
    command.assertFailed()
    command.assertLog('[ red(error) ] line 1: the file must hold a JSON array of agents', 'stderr')
  })

  test('every bad entry is reported with its index, line and field; one bad entry changes nothing', async ({
    assert,
  }) => {
    await runCommand(AgentsSeed, [EXAMPLE])
    const before = await databaseSnapshot()
    const path = file(
      'bad.json',
      [
        '[',
        '  { "key": "claude-coder", "name": "Claude", "max_concurrency": 4 },',
        '  { "key": "Bad Key", "name": "", "max_concurency": 2 },',
        '  {',
        '    "key": "fine-bot",',
        '    "name": "Fine",',
        '    "max_concurrency": 0,',
        '    "capabilities": { "work_types": [] }',
        '  },',
        '  { "key": "claude-coder", "name": "Again" },',
        '  "not an agent"',
        ']',
      ].join('\n')
    )

    const command = await runCommand(AgentsSeed, [path])

    command.assertFailed()
    assert.deepEqual(errorsOf(command), [
      '[ red(error) ] entry 1, line 3: max_concurency: is not a known field',
      '[ red(error) ] entry 1, line 3: key: The key must be lowercase letters and digits, words joined by - or _ (e.g. claude-coder)',
      '[ red(error) ] entry 1, line 3: name: The name field must have at least 1 characters',
      '[ red(error) ] entry 2, line 4: capabilities.work_types: The work_types field must have at least 1 items',
      '[ red(error) ] entry 2, line 4: max_concurrency: The max_concurrency field must be between 1 and 1000',
      '[ red(error) ] entry 3, line 10: key: duplicate key "claude-coder" (first at entry 0)',
      '[ red(error) ] entry 4, line 11: must be an object',
      `[ red(error) ] ${path}: 7 problem(s); nothing changed`,
    ])
    assert.deepEqual(
      await databaseSnapshot(),
      before,
      'entry 0 alone was valid, and still nothing changed'
    )
  })

  test('--json reports problems as data', async ({ assert }) => {
    const command = await runCommand(AgentsSeed, [
      file('dup.json', '[{"key":"a","name":"A"},{"key":"a","name":"B"}]'),
      '--json',
    ])
    command.assertFailed()
    const output = JSON.parse(command.logger.getLogs()[0].message)
    assert.deepEqual(output.problems, [
      { entry: 1, line: 1, field: 'key', message: 'duplicate key "a" (first at entry 0)' },
    ])
  })
})
