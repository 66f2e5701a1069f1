import { test } from '@japa/runner'
import AuditEvent from '#models/audit_event'
import Setting from '#models/setting'
import {
  asUser,
  assertRoleGate,
  fieldErrors,
  userWithRole,
  leaveNothingBehind,
} from '#tests/support/admin_pages'
import { emptyWorld } from '#tests/support/test_database'

test.group('Settings page', (group) => {
  group.each.setup(() => emptyWorld())
  group.teardown(() => leaveNothingBehind())

  test('only admins see and change the settings', async ({ client, assert }) => {
    await assertRoleGate(client, assert, { method: 'get', url: '/settings', minimumRole: 'admin' })
    await assertRoleGate(client, assert, {
      method: 'put',
      url: '/settings',
      form: () => ({ agents_enabled: 'true', max_parallel_runs: '' }),
      minimumRole: 'admin',
    })
  })

  test('a 403 is a rendered page, also for a form post', async ({ client, assert }) => {
    const response = await asUser(client, await userWithRole('maintainer'), 'put', '/settings', {
      agents_enabled: 'false',
      max_parallel_runs: '',
    })
    response.assertStatus(403)
    assert.include(response.text(), '<h1>Not allowed</h1>')
    const settings = await Setting.current()
    assert.isTrue(settings.agents_enabled)
  })

  test('flipping the kill switch and setting the cap is saved and audited with the IP', async ({
    client,
    assert,
  }) => {
    const admin = await userWithRole('admin', { fullName: 'Ada Admin' })

    const response = await asUser(client, admin, 'put', '/settings', {
      agents_enabled: 'false',
      max_parallel_runs: '4',
    })

    response.assertStatus(302)
    assert.equal(response.header('location'), '/settings')
    assert.deepEqual(await Setting.current(), { agents_enabled: false, max_parallel_runs: 4 })
    const event = await AuditEvent.findByOrFail('action', 'settings.updated')
    assert.equal(event.actorId, admin.id)
    assert.equal(event.ipAddress, '127.0.0.1')
    assert.deepEqual(event.details, {
      agents_enabled: { from: true, to: false },
      max_parallel_runs: { from: null, to: 4 },
    })

    const page = await asUser(client, admin, 'get', '/settings')
    assert.include(page.text(), 'Last changed by Ada Admin')
    assert.match(page.text(), /name="agents_enabled" value="true"(?! checked)/)
    assert.include(page.text(), 'name="max_parallel_runs" type="number" value="4"')
  })

  test('saving unchanged settings writes no audit event', async ({ client, assert }) => {
    await asUser(client, await userWithRole('admin'), 'put', '/settings', {
      agents_enabled: 'true',
      max_parallel_runs: '',
    })
    assert.isNull(await AuditEvent.findBy('action', 'settings.updated'))
  })

  test('an invalid cap is refused per field and changes nothing', async ({ client, assert }) => {
    const response = await asUser(client, await userWithRole('admin'), 'put', '/settings', {
      agents_enabled: 'false',
      max_parallel_runs: '0',
    }).header('referer', '/settings')

    response.assertStatus(302)
    assert.properties(fieldErrors(response), ['max_parallel_runs'])
    assert.deepEqual(await Setting.current(), { agents_enabled: true, max_parallel_runs: null })
    assert.isNull(await AuditEvent.findBy('action', 'settings.updated'))
  })

  test('the form re-renders a refused value with its message', async ({ client, assert }) => {
    const response = await client
      .get('/settings')
      .loginAs(await userWithRole('admin'))
      .withFlashMessages({
        inputErrorsBag: { max_parallel_runs: ['The max_parallel_runs field must be at least 1'] },
        agents_enabled: 'false',
        max_parallel_runs: '0',
      })
    assert.include(response.text(), 'The max_parallel_runs field must be at least 1')
    assert.include(response.text(), 'name="max_parallel_runs" type="number" value="0"')
  })
})
