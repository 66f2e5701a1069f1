import { test } from '@japa/runner'
import db from '@adonisjs/lucid/services/db'
import AuditEvent from '#models/audit_event'
import Integration from '#models/integration'
import { ProjectFactory } from '#database/factories/project_factory'
import {
  asUser,
  assertRoleGate,
  fieldErrors,
  userWithRole,
  leaveNothingBehind,
} from '#tests/support/admin_pages'
import { emptyWorld } from '#tests/support/test_database'

const SECRET = 'ghp_TopSecretValue1234567890abcdefABCDEF'

async function connected(
  kind: 'github' | 'slack' = 'github',
  name = 'GITHUB_TOKEN',
  secret = SECRET
) {
  const project = await ProjectFactory.create()
  const integration = await Integration.connect(
    project,
    { kind, name, secret },
    await userWithRole('maintainer'),
    null
  )
  return { project, integration }
}

test.group('Integrations', (group) => {
  group.each.setup(() => emptyWorld())
  group.teardown(() => leaveNothingBehind())

  test('only maintainers and admins add, edit, deactivate and reactivate integrations', async ({
    client,
    assert,
  }) => {
    const { project, integration } = await connected()
    let sequence = 0
    const base = `/projects/${project.id}/integrations`
    await assertRoleGate(client, assert, {
      method: 'get',
      url: `${base}/new`,
      minimumRole: 'maintainer',
    })
    await assertRoleGate(client, assert, {
      method: 'post',
      url: base,
      form: () => ({
        kind: 'slack',
        name: `HOOK_${++sequence}`,
        secret: 'https://hooks.slack.com/services/T000/B000/XXXX',
      }),
      minimumRole: 'maintainer',
    })
    await assertRoleGate(client, assert, {
      method: 'get',
      url: `${base}/${integration.id}/edit`,
      minimumRole: 'maintainer',
    })
    await assertRoleGate(client, assert, {
      method: 'put',
      url: `${base}/${integration.id}`,
      form: () => ({ kind: 'github', name: 'GITHUB_TOKEN', secret: '' }),
      minimumRole: 'maintainer',
    })
    await assertRoleGate(client, assert, {
      method: 'post',
      url: `${base}/${integration.id}/deactivation`,
      minimumRole: 'maintainer',
    })
    await assertRoleGate(client, assert, {
      method: 'delete',
      url: `${base}/${integration.id}/deactivation`,
      minimumRole: 'maintainer',
    })
  })

  test('a new integration stores its secret encrypted and audits without it', async ({
    client,
    assert,
  }) => {
    const project = await ProjectFactory.create()
    const maintainer = await userWithRole('maintainer')

    const response = await asUser(
      client,
      maintainer,
      'post',
      `/projects/${project.id}/integrations`,
      {
        kind: 'github',
        name: 'GITHUB_TOKEN',
        secret: SECRET,
      }
    )

    response.assertStatus(302)
    const integration = await Integration.findByOrFail('name', 'GITHUB_TOKEN')
    const { rows } = await db.rawQuery('select value from integrations where id = ?', [
      integration.id,
    ])
    assert.notInclude(rows[0].value, SECRET)
    assert.equal(integration.revealSecret(), SECRET)
    const event = await AuditEvent.findByOrFail('action', 'integration.created')
    assert.equal(event.actorId, maintainer.id)
    assert.notInclude(JSON.stringify(event.details), SECRET)
  })

  test('a blank secret on edit keeps the old one, also across a rename; a new one replaces it', async ({
    client,
    assert,
  }) => {
    const { project, integration } = await connected()
    const maintainer = await userWithRole('maintainer')
    const url = `/projects/${project.id}/integrations/${integration.id}`

    await asUser(client, maintainer, 'put', url, {
      kind: 'github',
      name: 'RENAMED_TOKEN',
      secret: '',
    })
    await integration.refresh()
    assert.equal(integration.name, 'RENAMED_TOKEN')
    assert.equal(integration.revealSecret(), SECRET, 're-sealed under the new name')

    await asUser(client, maintainer, 'put', url, {
      kind: 'github',
      name: 'RENAMED_TOKEN',
      secret: 'ghp_rotated',
    })
    await integration.refresh()
    assert.equal(integration.revealSecret(), 'ghp_rotated')
    const events = await AuditEvent.query().where('action', 'integration.updated').orderBy('id')
    assert.deepEqual(events[0].details, { name: { from: 'GITHUB_TOKEN', to: 'RENAMED_TOKEN' } })
    assert.deepEqual(events[1].details, { secret_changed: true })
  })

  test('a duplicate or invalid integration is refused per field and the secret is not flashed back', async ({
    client,
    assert,
  }) => {
    const { project } = await connected()

    const response = await asUser(
      client,
      await userWithRole('admin'),
      'post',
      `/projects/${project.id}/integrations`,
      {
        kind: 'github',
        name: 'GITHUB_TOKEN',
        secret: 'ghp_another_secret_value',
      }
    ).header('referer', `/projects/${project.id}/integrations/new`)

    response.assertStatus(302)
    assert.property(fieldErrors(response), 'name')
    assert.equal(response.flashMessage('name'), 'GITHUB_TOKEN')
    assert.notInclude(JSON.stringify(response.flashMessages()), 'ghp_another_secret_value')
    assert.equal(
      await Integration.query()
        .count('* as n')
        .first()
        .then((row) => Number(row!.$extras.n)),
      1
    )

    const bad = await asUser(
      client,
      await userWithRole('admin'),
      'post',
      `/projects/${project.id}/integrations`,
      {
        kind: 'carrier-pigeon',
        name: 'has spaces',
        secret: '',
      }
    )
    assert.sameMembers(Object.keys(fieldErrors(bad)), ['kind', 'name', 'secret'])

    const slackToken = await asUser(
      client,
      await userWithRole('admin'),
      'post',
      `/projects/${project.id}/integrations`,
      { kind: 'slack', name: 'alerts', secret: 'xoxb-1' }
    )
    assert.match(fieldErrors(slackToken).secret?.[0] ?? '', /incoming-webhook URL/)
  })

  test('deactivating and reactivating are audited', async ({ client, assert }) => {
    const { project, integration } = await connected()
    const maintainer = await userWithRole('maintainer')
    const url = `/projects/${project.id}/integrations/${integration.id}/deactivation`

    await asUser(client, maintainer, 'post', url)
    await integration.refresh()
    assert.equal(integration.status, 'inactive')
    await asUser(client, maintainer, 'delete', url)
    await integration.refresh()
    assert.equal(integration.status, 'active')
    const auditEvents = await AuditEvent.query().where('subjectType', 'integration').orderBy('id')
    const actions = auditEvents.map((e) => e.action)
    assert.deepEqual(actions, [
      'integration.created',
      'integration.deactivated',
      'integration.reactivated',
    ])
  })

  test('an integration of another project is a 404', async ({ client }) => {
    const { integration } = await connected()
    const other = await ProjectFactory.create()
    const response = await asUser(
      client,
      await userWithRole('admin'),
      'get',
      `/projects/${other.id}/integrations/${integration.id}/edit`
    )
    response.assertStatus(404)
  })

  test('no page ever renders an integration secret', async ({ client, assert }) => {
    const { project, integration } = await connected()
    const admin = await userWithRole('admin')
    await asUser(client, admin, 'put', `/projects/${project.id}/integrations/${integration.id}`, {
      kind: 'github',
      name: 'GITHUB_TOKEN',
      secret: `${SECRET}-v2`,
    })
    const refused = await asUser(client, admin, 'post', `/projects/${project.id}/integrations`, {
      kind: 'github',
      name: 'bad name',
      secret: `${SECRET}-v3`,
    })

    const pages = [
      '/',
      '/projects',
      `/projects/${project.id}`,
      `/projects/${project.id}/edit`,
      `/projects/${project.id}/integrations/new`,
      `/projects/${project.id}/integrations/${integration.id}/edit`,
      '/settings',
      '/users',
    ]
    for (const page of pages) {
      const response = await client
        .get(page)
        .loginAs(admin)
        .withFlashMessages(refused.flashMessages() as Record<string, any>)
      response.assertStatus(200)
      assert.notInclude(response.text(), SECRET, `${page} leaks the secret`)
      assert.notInclude(response.text(), 'ghp_TopSecret', `${page} leaks part of the secret`)
    }
  })
})
