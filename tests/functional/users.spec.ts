import { test } from '@japa/runner'
import AuditEvent from '#models/audit_event'
import User from '#models/user'
import {
  PASSWORD,
  asUser,
  assertRoleGate,
  fieldErrors,
  userWithRole,
  leaveNothingBehind,
} from '#tests/support/admin_pages'
import { emptyWorld } from '#tests/support/test_database'

let sequence = 0
const newUserForm = () => ({
  email: `new-${++sequence}@example.com`,
  full_name: 'New Person',
  role: 'reviewer',
  password: 'a long enough password',
})

test.group('Users pages', (group) => {
  group.each.setup(() => emptyWorld())
  group.teardown(() => leaveNothingBehind())

  test('every users route is for admins only', async ({ client, assert }) => {
    const target = await userWithRole('viewer')
    await assertRoleGate(client, assert, { method: 'get', url: '/users', minimumRole: 'admin' })
    await assertRoleGate(client, assert, { method: 'get', url: '/users/new', minimumRole: 'admin' })
    await assertRoleGate(client, assert, {
      method: 'post',
      url: '/users',
      form: newUserForm,
      minimumRole: 'admin',
    })
    await assertRoleGate(client, assert, {
      method: 'get',
      url: `/users/${target.id}/edit`,
      minimumRole: 'admin',
    })
    await assertRoleGate(client, assert, {
      method: 'put',
      url: `/users/${target.id}`,
      form: () => ({ full_name: 'Renamed', role: 'viewer', password: '' }),
      minimumRole: 'admin',
    })
    await assertRoleGate(client, assert, {
      method: 'post',
      url: `/users/${target.id}/deactivation`,
      minimumRole: 'admin',
    })
    await assertRoleGate(client, assert, {
      method: 'delete',
      url: `/users/${target.id}/deactivation`,
      minimumRole: 'admin',
    })
  })

  test('the list shows every user with role and status', async ({ client, assert }) => {
    const admin = await userWithRole('admin', { fullName: 'Ada Admin' })
    await userWithRole('viewer', { fullName: 'Vera Viewer', isActive: false })
    const response = await asUser(client, admin, 'get', '/users')
    response.assertStatus(200)
    assert.include(response.text(), 'Ada Admin')
    assert.include(response.text(), 'Vera Viewer')
    assert.include(response.text(), 'deactivated')
  })

  test('an admin creates a user who can then sign in with that role', async ({
    client,
    assert,
  }) => {
    const admin = await userWithRole('admin')

    const response = await asUser(client, admin, 'post', '/users', {
      email: 'Linus@Example.com',
      full_name: 'Linus',
      role: 'maintainer',
      password: 'a long enough password',
    })

    response.assertStatus(302)
    const user = await User.findByOrFail('email', 'linus@example.com')
    assert.equal(user.role, 'maintainer')
    assert.notEqual(user.password, 'a long enough password', 'stored hashed')
    const event = await AuditEvent.findByOrFail('action', 'user.created')
    assert.equal(event.actorId, admin.id)
    assert.equal(event.subjectId, user.id)
    assert.notProperty(event.details, 'password')

    const login = await asUser(client, null, 'post', '/login', {
      email: 'linus@example.com',
      password: 'a long enough password',
    })
    assert.equal(login.session('auth_web'), user.id)
  })

  test('invalid or duplicate input is refused per field, keeps the input but not the password', async ({
    client,
    assert,
  }) => {
    const admin = await userWithRole('admin', { email: 'taken@example.com' })

    const response = await asUser(client, admin, 'post', '/users', {
      email: 'TAKEN@example.com',
      full_name: '',
      role: 'overlord',
      password: 'short',
    }).header('referer', '/users/new')

    response.assertStatus(302)
    assert.equal(response.header('location'), '/users/new')
    assert.sameMembers(Object.keys(fieldErrors(response)), [
      'email',
      'full_name',
      'role',
      'password',
    ])
    assert.equal(response.flashMessage('email'), 'TAKEN@example.com')
    assert.notProperty(response.flashMessages(), 'password')
    assert.equal(
      await User.query()
        .count('* as n')
        .first()
        .then((row) => Number(row!.$extras.n)),
      1
    )
    assert.isNull(await AuditEvent.findBy('action', 'user.created'))
  })

  test('an admin changes a role and resets a password; the change is audited without the password', async ({
    client,
    assert,
  }) => {
    const admin = await userWithRole('admin')
    const user = await userWithRole('viewer')

    await asUser(client, admin, 'put', `/users/${user.id}`, {
      full_name: user.fullName,
      role: 'reviewer',
      password: 'a brand new password',
    })

    await user.refresh()
    assert.equal(user.role, 'reviewer')
    const event = await AuditEvent.findByOrFail('action', 'user.updated')
    assert.deepEqual(event.details, {
      role: { from: 'viewer', to: 'reviewer' },
      password_changed: true,
    })
    const login = await asUser(client, null, 'post', '/login', {
      email: user.email,
      password: 'a brand new password',
    })
    assert.equal(login.session('auth_web'), user.id)
  })

  test('a blank password on edit keeps the old one', async ({ client, assert }) => {
    const admin = await userWithRole('admin')
    const user = await userWithRole('viewer')
    await asUser(client, admin, 'put', `/users/${user.id}`, {
      full_name: 'Renamed',
      role: 'viewer',
      password: '',
    })
    const login = await asUser(client, null, 'post', '/login', {
      email: user.email,
      password: PASSWORD,
    })
    assert.equal(login.session('auth_web'), user.id)
  })

  test('an admin cannot demote or deactivate themselves', async ({ client, assert }) => {
    const admin = await userWithRole('admin')

    const demote = await asUser(client, admin, 'put', `/users/${admin.id}`, {
      full_name: admin.fullName,
      role: 'viewer',
      password: '',
    })
    demote.assertStatus(403)
    assert.include(demote.text(), 'You cannot demote yourself')

    const deactivate = await asUser(client, admin, 'post', `/users/${admin.id}/deactivation`)
    deactivate.assertStatus(403)
    assert.include(deactivate.text(), 'You cannot deactivate yourself')

    await admin.refresh()
    assert.equal(admin.role, 'admin')
    assert.isTrue(admin.isActive)
    const edit = await asUser(client, admin, 'get', `/users/${admin.id}/edit`)
    assert.notInclude(edit.text(), '<select id="field-role"', 'no role picker for oneself')
  })

  test('deactivating a user locks them out; reactivating lets them back in; both audited', async ({
    client,
    assert,
  }) => {
    const admin = await userWithRole('admin')
    const user = await userWithRole('maintainer')

    await asUser(client, admin, 'post', `/users/${user.id}/deactivation`)
    await user.refresh()
    assert.isFalse(user.isActive)
    const refused = await asUser(client, null, 'post', '/login', {
      email: user.email,
      password: PASSWORD,
    })
    assert.isUndefined(refused.session('auth_web'))
    const kicked = await asUser(client, user, 'get', '/')
    assert.equal(kicked.header('location'), '/login')

    await asUser(client, admin, 'delete', `/users/${user.id}/deactivation`)
    await user.refresh()
    assert.isTrue(user.isActive)
    const auditEvents = await AuditEvent.query().where('subjectId', user.id).orderBy('id')
    const actions = auditEvents.map((event) => event.action)
    assert.includeMembers(actions, ['user.deactivated', 'user.reactivated'])
  })

  test('the list pages by keyset: 60 users fill a page of 50 and an older page of the rest', async ({
    client,
    assert,
  }) => {
    const admin = await userWithRole('admin')
    for (let index = 0; index < 59; index++)
      await userWithRole('viewer', { fullName: `Person ${index}` })

    const first = await asUser(client, admin, 'get', '/users')
    const next = first.text().match(/href="(\/users\?after=\d+)" rel="next"/)
    assert.exists(next)
    assert.equal((first.text().match(/<tr>/g) ?? []).length - 1, 50)

    const second = await asUser(client, admin, 'get', next![1])
    assert.equal((second.text().match(/<tr>/g) ?? []).length - 1, 10)
    assert.include(second.text(), 'rel="prev"')
    assert.notInclude(second.text(), 'rel="next"')
  })
})

test.group('Users pages: the last active admin', (group) => {
  group.each.setup(() => emptyWorld())
  group.teardown(() => leaveNothingBehind())

  test('two admins demoting or deactivating each other at once leave one active admin', async ({
    client,
    assert,
  }) => {
    for (const [round, action] of (
      ['demote', 'deactivate', 'demote', 'deactivate'] as const
    ).entries()) {
      await emptyWorld()
      const [first, second] = await Promise.all([userWithRole('admin'), userWithRole('admin')])
      const removal = (by: User, target: User) =>
        action === 'demote'
          ? asUser(client, by, 'put', `/users/${target.id}`, {
              full_name: target.fullName,
              role: 'viewer',
              password: '',
            })
          : asUser(client, by, 'post', `/users/${target.id}/deactivation`)
      await Promise.all([removal(first, second), removal(second, first)])

      const admins = await User.query().where('role', 'admin').where('isActive', true)
      assert.lengthOf(admins, 1, `round ${round + 1} (${action})`)
      const events = await AuditEvent.query().whereIn('action', [
        'user.updated',
        'user.deactivated',
      ])
      assert.lengthOf(events, 1, `round ${round + 1} (${action})`)
    }
  })

  test('the one active admin left cannot be demoted or deactivated by a stale admin session', async ({
    assert,
  }) => {
    const [admin, other] = await Promise.all([userWithRole('admin'), userWithRole('admin')])
    await other.merge({ role: 'viewer' }).save()
    // `other` was an admin when the request's policy ran: the model still refuses.
    await assert.rejects(() =>
      admin.updateAccount({ fullName: admin.fullName, role: 'viewer', password: null }, other, null)
    )
    await assert.rejects(() => admin.deactivate(other, null))
    await admin.refresh()
    assert.equal(admin.role, 'admin')
    assert.isTrue(admin.isActive)
    assert.lengthOf(await AuditEvent.all(), 0)
  })
})
