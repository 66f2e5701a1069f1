import { test } from '@japa/runner'
import testUtils from '@adonisjs/core/services/test_utils'
import hash from '@adonisjs/core/services/hash'
import User from '#models/user'
import AuditEvent from '#models/audit_event'
import InvalidTransition from '#exceptions/invalid_transition'
import { UserFactory } from '#database/factories/user_factory'

test.group('User', (group) => {
  group.each.setup(() => testUtils.db().truncate())

  test('register stores a hashed password and audits who added the person', async ({ assert }) => {
    const admin = await UserFactory.apply('admin').create()

    const user = await User.register(
      {
        email: 'Ada@Example.com',
        fullName: 'Ada',
        role: 'reviewer',
        password: 'a long passphrase',
      },
      admin,
      '10.0.0.1'
    )

    assert.equal(user.email, 'ada@example.com')
    assert.isTrue(await hash.verify(user.password, 'a long passphrase'))
    const event = await AuditEvent.findByOrFail('action', 'user.created')
    assert.equal(event.actorType, 'user')
    assert.equal(event.actorId, admin.id)
    assert.equal(event.subjectId, user.id)
    assert.equal(event.ipAddress, '10.0.0.1')
  })

  test('roles are ordered: an admin may do what a viewer may, not the other way', async ({
    assert,
  }) => {
    const admin = await UserFactory.apply('admin').make()
    const viewer = await UserFactory.make()
    assert.isTrue(admin.hasRole('viewer'))
    assert.isTrue(viewer.hasRole('viewer'))
    assert.isFalse(viewer.hasRole('reviewer'))
  })

  test('the last active admin cannot be deactivated; with another admin it can', async ({
    assert,
  }) => {
    const admin = await UserFactory.apply('admin').create()

    await assert.rejects(() => admin.deactivate(admin, null), InvalidTransition)
    await admin.refresh()
    assert.isTrue(admin.isActive)

    const other = await UserFactory.apply('admin').create()
    await admin.deactivate(other, null)
    await admin.refresh()
    assert.isFalse(admin.isActive)
    assert.lengthOf(await AuditEvent.query().where('action', 'user.deactivated'), 1)
  })
})
