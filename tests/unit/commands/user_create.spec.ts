import { test } from '@japa/runner'
import ace from '@adonisjs/core/services/ace'
import testUtils from '@adonisjs/core/services/test_utils'
import hash from '@adonisjs/core/services/hash'
import User from '#models/user'
import AuditEvent from '#models/audit_event'
import UserCreate from '#commands/user_create'
import { UserFactory } from '#database/factories/user_factory'
import { databaseSnapshot } from '#tests/support/database_snapshot'

async function userCreate(argv: string[]) {
  ace.ui.logger.flushLogs()
  const command = await ace.create(UserCreate, argv)
  await command.exec()
  return command
}
const messages = (command: UserCreate) => command.logger.getLogs().map((log) => log.message)

test.group('user:create', (group) => {
  group.each.setup(() => testUtils.db().truncate())
  group.each.setup(() => {
    ace.ui.switchMode('raw')
    return () => ace.ui.switchMode('normal')
  })

  test('creates a user with the given password, hashed, and audits it', async ({ assert }) => {
    const command = await userCreate([
      'Ada@Example.com',
      '--role=maintainer',
      '--name=Ada Lovelace',
      '--password=correct horse battery',
    ])

    command.assertSucceeded()
    assert.deepEqual(messages(command), [
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
    const command = await userCreate(['rev@example.com', '--role=reviewer'])

    command.assertSucceeded()
    const printed = messages(command).find((message) => message.startsWith('Password: '))!
    const password = printed.slice('Password: '.length)
    assert.isAtLeast(password.length, 16)
    const user = await User.verifyCredentials('rev@example.com', password)
    assert.equal(user.fullName, 'rev')
  })

  test('--json prints the generated password as data', async ({ assert }) => {
    const command = await userCreate(['view@example.com', '--role=viewer', '--json'])
    const output = JSON.parse(messages(command)[0])
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
      const command = await userCreate(argv)
      command.assertFailed()
      assert.deepEqual(messages(command), [`[ red(error) ] ${reason}`], argv.join(' '))
    }
    assert.deepEqual(await databaseSnapshot(), before)
  })
})
