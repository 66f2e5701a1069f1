import { test } from '@japa/runner'
import testUtils from '@adonisjs/core/services/test_utils'
import { Secret } from '@adonisjs/core/helpers'
import Agent from '#models/agent'
import AuditEvent from '#models/audit_event'
import AgentCreate from '#commands/agent_create'
import AgentDisable from '#commands/agent_disable'
import AgentEnable from '#commands/agent_enable'
import { AgentFactory } from '#database/factories/agent_factory'
import { ProjectFactory } from '#database/factories/project_factory'
import { databaseSnapshot } from '#tests/support/database_snapshot'
import { keepCommandOutput, messagesOf, runCommand } from '#tests/support/ace_commands'

test.group('agent:create', (group) => {
  group.each.setup(() => testUtils.db().truncate())
  keepCommandOutput(group)

  test('creates an agent from flags, with a token printed once', async ({ assert }) => {
    const command = await runCommand(AgentCreate, [
      'codex-coder',
      '--name=Codex coder',
      '--work-types=code,fix_ci',
      '--tags=openai',
      '--model=gpt-5-codex',
      '--max-concurrency=2',
      '--token',
    ])

    command.assertSucceeded()
    const agent = await Agent.findByOrFail('key', 'codex-coder')
    assert.equal(agent.name, 'Codex coder')
    assert.equal(agent.maxConcurrency, 2)
    assert.equal(agent.modelName, 'gpt-5-codex')
    assert.deepEqual(agent.capabilities, { work_types: ['code', 'fix_ci'], tags: ['openai'] })
    const [created, value] = messagesOf(command)
    assert.equal(
      created,
      '[ green(success) ] Agent "codex-coder" created (max concurrency 2, work types code, fix_ci)'
    )
    assert.equal((await Agent.accessTokens.verify(new Secret(value)))!.tokenableId, agent.id)
    const actions = await AuditEvent.query().where('subjectId', agent.id).orderBy('id')
    assert.deepEqual(
      actions.map((event) => event.action),
      ['agent.created', 'agent.token_issued']
    )
  })

  test('defaults: every work type, concurrency 1, no token', async ({ assert }) => {
    const command = await runCommand(AgentCreate, ['solo'])
    command.assertSucceeded()
    const agent = await Agent.findByOrFail('key', 'solo')
    assert.deepEqual(agent.capabilities, { work_types: ['*'], tags: [] })
    assert.equal(agent.maxConcurrency, 1)
    assert.isTrue(agent.enabled)
    assert.lengthOf(await Agent.accessTokens.all(agent), 0)
  })

  test('--projects limits the agent to those projects; an unknown slug fails', async ({
    assert,
  }) => {
    const shop = await ProjectFactory.merge({ slug: 'shop' }).create()
    const blog = await ProjectFactory.merge({ slug: 'blog' }).create()

    const command = await runCommand(AgentCreate, ['scoped', '--projects=blog,shop'])
    command.assertSucceeded()
    const agent = await Agent.findByOrFail('key', 'scoped')
    assert.sameMembers(agent.projectIds, [shop.id, blog.id])

    const unknown = await runCommand(AgentCreate, ['lost', '--projects=shop,nowhere'])
    unknown.assertFailed()
    assert.include(messagesOf(unknown).join(' '), 'No project with slug "nowhere"')
    assert.isNull(await Agent.findBy('key', 'lost'))
  })

  test('bad input and existing keys fail with one line and change nothing', async ({ assert }) => {
    await AgentFactory.merge({ key: 'taken' }).create()
    const before = await databaseSnapshot()
    const cases: [string[], string][] = [
      [['taken'], 'an agent with key "taken" already exists (agents:seed updates agents)'],
      [
        ['Not A Key'],
        'The key must be lowercase letters and digits, words joined by - or _ (e.g. claude-coder)',
      ],
      [['ok', '--max-concurrency=0'], 'The max_concurrency field must be between 1 and 1000'],
    ]
    for (const [argv, reason] of cases) {
      const command = await runCommand(AgentCreate, argv)
      command.assertFailed()
      assert.deepEqual(messagesOf(command), [`[ red(error) ] ${reason}`])
    }
    assert.deepEqual(await databaseSnapshot(), before)
  })
})

test.group('agent:disable and agent:enable', (group) => {
  group.each.setup(() => testUtils.db().truncate())
  keepCommandOutput(group)

  test('disabling is audited with its reason, and repeating it changes nothing', async ({
    assert,
  }) => {
    const agent = await AgentFactory.merge({ key: 'claude-coder' }).create()

    const disable = await runCommand(AgentDisable, ['claude-coder', '--reason=runaway costs'])
    disable.assertSucceeded()
    disable.assertLog('[ green(success) ] Agent "claude-coder" disabled')
    await agent.refresh()
    assert.isFalse(agent.enabled)

    const again = await runCommand(AgentDisable, ['claude-coder'])
    again.assertSucceeded()
    again.assertLog('[ blue(info) ] Agent "claude-coder" was already disabled')

    const enable = await runCommand(AgentEnable, ['claude-coder', '--json'])
    assert.deepEqual(JSON.parse(messagesOf(enable)[0]), {
      agent: 'claude-coder',
      enabled: true,
      changed: true,
    })
    await agent.refresh()
    assert.isTrue(agent.enabled)
    const events = await AuditEvent.query().where('subjectId', agent.id).orderBy('id')
    assert.deepEqual(
      events.map((event) => [event.action, event.details]),
      [
        ['agent.disabled', { reason: 'runaway costs' }],
        ['agent.enabled', {}],
      ]
    )
  })

  test('an unknown agent fails and changes nothing', async ({ assert }) => {
    const before = await databaseSnapshot()
    for (const Command of [AgentDisable, AgentEnable]) {
      const command = await runCommand(Command, ['ghost'])
      command.assertFailed()
      assert.deepEqual(messagesOf(command), ['[ red(error) ] no agent with key "ghost"'])
    }
    assert.deepEqual(await databaseSnapshot(), before)
  })
})
