import { test } from '@japa/runner'
import testUtils from '@adonisjs/core/services/test_utils'
import { Secret } from '@adonisjs/core/helpers'
import Agent from '#models/agent'
import AuditEvent from '#models/audit_event'
import AgentToken from '#commands/agent_token'
import { AgentFactory } from '#database/factories/agent_factory'
import { databaseSnapshot } from '#tests/support/database_snapshot'
import { keepCommandOutput, messagesOf, runCommand } from '#tests/support/ace_commands'

test.group('agent:token', (group) => {
  group.each.setup(() => testUtils.db().truncate())
  keepCommandOutput(group)

  test('issues a named, expiring token that authenticates, printed once and audited', async ({
    assert,
  }) => {
    const agent = await AgentFactory.merge({ key: 'claude-coder' }).create()

    const command = await runCommand(AgentToken, [
      'claude-coder',
      '--name=ci runner',
      '--expires-in=30d',
    ])

    command.assertSucceeded()
    const [value, summary] = messagesOf(command)
    assert.match(value, /^gha_/)
    assert.match(
      summary,
      /Token \d+ issued to "claude-coder", expires \d{4}-.*It is shown only this once\./
    )
    const verified = await Agent.accessTokens.verify(new Secret(value))
    assert.equal(verified!.tokenableId, agent.id)
    assert.equal(verified!.name, 'ci runner')
    const days = (verified!.expiresAt!.getTime() - Date.now()) / 86_400_000
    assert.approximately(days, 30, 0.01)
    const event = await AuditEvent.findByOrFail('action', 'agent.token_issued')
    assert.equal(event.subjectId, agent.id)
    assert.equal(event.details.token_id, Number(verified!.identifier))
    assert.notInclude(
      JSON.stringify(event.details),
      value.slice(4),
      'the secret is not in the audit trail'
    )
  })

  test('--list shows tokens without their values', async ({ assert }) => {
    const agent = await AgentFactory.merge({ key: 'reviewer' }).create()
    const token = await Agent.accessTokens.create(agent, ['*'], { name: 'laptop' })

    const command = await runCommand(AgentToken, ['reviewer', '--list'])

    command.assertSucceeded()
    const output = messagesOf(command).join('\n')
    assert.match(
      output,
      new RegExp(
        `^${token.identifier}\\|laptop\\|\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d\\|never\\|never$`,
        'm'
      )
    )
    assert.notInclude(messagesOf(command).join('\n'), 'gha_')
  })

  test('--revoke removes one token, which stops working; --revoke-all the rest', async ({
    assert,
  }) => {
    const agent = await AgentFactory.merge({ key: 'tester' }).create()
    const first = await Agent.accessTokens.create(agent)
    const second = await Agent.accessTokens.create(agent)
    const third = await Agent.accessTokens.create(agent)

    const revokeOne = await runCommand(AgentToken, ['tester', `--revoke=${first.identifier}`])
    revokeOne.assertSucceeded()
    revokeOne.assertLog(`[ green(success) ] Revoked 1 token(s) of "tester": ${first.identifier}`)
    assert.isNull(await Agent.accessTokens.verify(new Secret(first.value!.release())))
    assert.isNotNull(await Agent.accessTokens.verify(new Secret(second.value!.release())))

    const revokeAll = await runCommand(AgentToken, ['tester', '--revoke-all', '--json'])
    assert.deepEqual(JSON.parse(messagesOf(revokeAll)[0]), {
      agent: 'tester',
      revoked: [Number(second.identifier), Number(third.identifier)],
    })
    assert.isNull(await Agent.accessTokens.verify(new Secret(third.value!.release())))
    const revoked = await AuditEvent.query().where('action', 'agent.token_revoked').orderBy('id')
    assert.deepEqual(
      revoked.map((event) => event.details.token_id),
      [first, second, third].map((token) => Number(token.identifier))
    )
  })

  test('--json prints the token as data', async ({ assert }) => {
    await AgentFactory.merge({ key: 'codex' }).create()
    const command = await runCommand(AgentToken, ['codex', '--json'])
    const output = JSON.parse(messagesOf(command)[0])
    assert.match(output.token, /^gha_/)
    assert.isNull(output.expires_at)
  })

  test('bad input fails with one line and changes nothing', async ({ assert }) => {
    const agent = await AgentFactory.merge({ key: 'codex' }).create()
    const other = await AgentFactory.merge({ key: 'other' }).create()
    const othersToken = await Agent.accessTokens.create(other)
    const before = await databaseSnapshot()

    const cases: [string[], string][] = [
      [['nobody'], 'no agent with key "nobody"'],
      [
        ['codex', '--expires-in=soon'],
        '--expires-in: "soon" is not a duration (e.g. 30d, 12h, "90 days")',
      ],
      [
        ['codex', '--expires-in=-5d'],
        '--expires-in: "-5d" is not a duration (e.g. 30d, 12h, "90 days")',
      ],
      [['codex', '--revoke=1', '--revoke-all'], 'use one of --revoke, --revoke-all and --list'],
      [['codex', '--revoke=0'], '--revoke takes a token id (a positive whole number)'],
      [['codex', '--list', '--name=x'], '--name and --expires-in only apply when issuing a token'],
      [
        ['codex', `--revoke=${othersToken.identifier}`],
        `agent "codex" has no token with id ${othersToken.identifier}`,
      ],
      [['codex', '--revoke=99999999999'], 'agent "codex" has no token with id 99999999999'],
      [['codex', '--expires-in=1000000000y'], '--expires-in: at most 100 years'],
    ]
    for (const [argv, reason] of cases) {
      const command = await runCommand(AgentToken, argv)
      command.assertFailed()
      assert.deepEqual(messagesOf(command), [`[ red(error) ] ${reason}`], argv.join(' '))
    }
    assert.deepEqual(await databaseSnapshot(), before)
    assert.isTrue(agent.enabled)
  })
})
