import { test } from '@japa/runner'
import testUtils from '@adonisjs/core/services/test_utils'
import hash from '@adonisjs/core/services/hash'
import User from '#models/user'
import AuditEvent from '#models/audit_event'
import UserCreate from '#commands/user_create'
import { UserFactory } from '#database/factories/user_factory'
import { databaseSnapshot } from '#tests/support/database_snapshot'
import { keepCommandOutput, messagesOf, runCommand } from '#tests/support/ace_commands'

test.group('user:create', (group) => {
  group.each.setup(() => testUtils.db().truncate())
  keepCommandOutput(group)

  test('creates a user with the given password, hashed, and audits it', async ({ assert }) => {
    const command = await runCommand(UserCreate, [
      'Ada@Example.com',
      '--role=maintainer',
      '--name=Ada Lovelace',
      '--password=correct horse battery',
    ])

    command.assertSucceeded()
    assert.deepEqual(messagesOf(command), [
      '[ green(success) ] User ada@example.com created (maintainer)',
    ])
    const user = await User.findByOrFail('email', 'ada@example.com')
    assert.equal(user.fullName, 'Ada Lovelace')
    assert.equal(user.role, 'maintainer')
    assert.notEqual(user.password, 'correct horse battery')
    assert.isTrue(await hash.verify(user.password, 'correct horse battery'))
    const event = await AuditEvent.findByOrFail('action', 'user.created')
    assert.equal(event.subjectId, user.id)
    assert.equal(event.actorType, 'system')
  })

  test('without a terminal or --password it generates one and prints it once', async ({
    assert,
  }) => {
    const command = await runCommand(UserCreate, ['rev@example.com', '--role=reviewer'])

    command.assertSucceeded()
    const printed = messagesOf(command).find((message) => message.startsWith('Password: '))!
    const password = printed.slice('Password: '.length)
    assert.isAtLeast(password.length, 16)
    const user = await User.verifyCredentials('rev@example.com', password)
    assert.equal(user.fullName, 'rev')
  })

  test('--json prints the generated password as data', async ({ assert }) => {
    const command = await runCommand(UserCreate, ['view@example.com', '--role=viewer', '--json'])
    const output = JSON.parse(messagesOf(command)[0])
    assert.equal(output.role, 'viewer')
    assert.isString(output.password)
  })

  test('bad input and taken emails fail with one line and change nothing', async ({ assert }) => {
    await UserFactory.merge({ email: 'taken@example.com' }).create()
    const before = await databaseSnapshot()
    const cases: [string[], string][] = [
      [['TAKEN@example.com', '--role=admin'], 'a user with email taken@example.com already exists'],
      [['not-an-email', '--role=admin'], 'The email field must be a valid email address'],
      [['a@example.com'], '--role must be one of admin, maintainer, reviewer, viewer'],
      [
        ['a@example.com', '--role=owner'],
        '--role must be one of admin, maintainer, reviewer, viewer',
      ],
      [
        ['a@example.com', '--role=admin', '--password=short'],
        'The password field must have at least 12 characters',
      ],
    ]
    for (const [argv, reason] of cases) {
      const command = await runCommand(UserCreate, argv)
      command.assertFailed()
      assert.deepEqual(messagesOf(command), [`[ red(error) ] ${reason}`], argv.join(' '))
    }
    assert.deepEqual(await databaseSnapshot(), before)
  })
})
