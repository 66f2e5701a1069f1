import { test } from '@japa/runner'
import testUtils from '@adonisjs/core/services/test_utils'
import User from '#models/user'
import AuditEvent from '#models/audit_event'
import Installation from '#infrastructure/installation'

test.group('Installation: the first admin', (group) => {
  group.each.setup(() => testUtils.db().truncate())

  test('the first boot creates the admin, audited as the system, and returns its password', async ({
    assert,
  }) => {
    const created = await Installation.createFirstAdmin()

    const admin = await User.verifyCredentials(created!.email, created!.password)
    assert.equal(admin.role, 'admin')
    const event = await AuditEvent.findByOrFail('action', 'user.created')
    assert.equal(event.subjectId, admin.id)
    assert.equal(event.actorType, 'system')
  })

  test('a later boot, or one racing it, creates nobody', async ({ assert }) => {
    const boots = await Promise.all([
      Installation.createFirstAdmin(),
      Installation.createFirstAdmin(),
    ])

    assert.lengthOf(boots.filter(Boolean), 1)
    assert.isUndefined(await Installation.createFirstAdmin())
    assert.lengthOf(await User.all(), 1)
    assert.lengthOf(await AuditEvent.query().where('action', 'user.created'), 1)
  })
})
