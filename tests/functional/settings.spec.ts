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

const DEFAULTS = Setting.fromValues({})

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
    assert.deepEqual(await Setting.current(), {
      ...DEFAULTS,
      agents_enabled: false,
      max_parallel_runs: 4,
    })
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
    assert.deepEqual(await Setting.current(), DEFAULTS)
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

  test('the retention periods are shown, saved and audited', async ({ client, assert }) => {
    const admin = await userWithRole('admin')
    const form = await asUser(client, admin, 'get', '/settings')
    assert.include(form.text(), 'name="run_log_retention_days" type="number" value="90"')
    assert.include(form.text(), 'name="webhook_delivery_retention_days" type="number" value="30"')
    assert.include(form.text(), 'name="idempotency_key_retention_hours" type="number" value="24"')

    const response = await asUser(client, admin, 'put', '/settings', {
      agents_enabled: 'true',
      max_parallel_runs: '',
      run_log_retention_days: '14',
      webhook_delivery_retention_days: '30',
      idempotency_key_retention_hours: '72',
    })

    response.assertStatus(302)
    assert.deepEqual(await Setting.current(), {
      ...DEFAULTS,
      run_log_retention_days: 14,
      idempotency_key_retention_hours: 72,
    })
    const event = await AuditEvent.findByOrFail('action', 'settings.updated')
    assert.deepEqual(event.details, {
      run_log_retention_days: { from: 90, to: 14 },
      idempotency_key_retention_hours: { from: 24, to: 72 },
    })
  })

  test('non-positive, fractional or absurd retention periods are refused per field', async ({
    client,
    assert,
  }) => {
    const admin = await userWithRole('admin')
    const refused = {
      agents_enabled: 'true',
      max_parallel_runs: '',
      run_log_retention_days: '0',
      webhook_delivery_retention_days: '1000000',
      idempotency_key_retention_hours: '12',
    }
    const page = await asUser(client, admin, 'put', '/settings', refused).header(
      'referer',
      '/settings'
    )
    page.assertStatus(302)
    assert.properties(fieldErrors(page), [
      'run_log_retention_days',
      'webhook_delivery_retention_days',
      'idempotency_key_retention_hours',
    ])

    for (const value of ['-3', '1.5', 'ninety']) {
      const json = await client
        .put('/settings')
        .loginAs(admin)
        .withCsrfToken()
        .header('accept', 'application/json')
        .form({
          ...refused,
          run_log_retention_days: value,
          webhook_delivery_retention_days: '30',
          idempotency_key_retention_hours: '24',
        })
      json.assertStatus(422)
      const fields = (json.body().errors as Array<{ field: string; message: string }>).map(
        (error) => error.field
      )
      assert.deepEqual(fields, ['run_log_retention_days'], value)
    }
    assert.deepEqual(await Setting.current(), DEFAULTS)
    assert.isNull(await AuditEvent.findBy('action', 'settings.updated'))
  })
})
