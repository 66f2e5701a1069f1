import { test } from '@japa/runner'
import AuditEvent from '#models/audit_event'
import Project from '#models/project'
import { ProjectFactory } from '#database/factories/project_factory'
import { asUser, userWithRole } from '#tests/support/admin_pages'
import { emptyWorld } from '#tests/support/test_database'

test.group('Project API keys in the project page', (group) => {
  group.each.setup(() => emptyWorld())
  // The next spec file may read every row (Lucid's truncate cleans only after its own tests).
  group.teardown(() => emptyWorld())

  test('a maintainer issues a key shown once, which works on the API; revoking stops it', async ({
    client,
    assert,
  }) => {
    const maintainer = await userWithRole('maintainer')
    const project = await ProjectFactory.merge({ slug: 'shop', state: 'active' }).create()

    const issued = await asUser(client, maintainer, 'post', `/projects/${project.id}/api_keys`, {
      name: 'jira',
      scopes: ['items:read'],
    })
    assert.equal(issued.status(), 302)
    const value = (issued.flashMessage('issuedApiKey') as any).value as string
    assert.match(value, /^ghk_/)
    const page = await client
      .get(`/projects/${project.id}`)
      .loginAs(maintainer)
      .withSession(issued.session())
      .withFlashMessages(issued.flashMessages())
    assert.include(page.text(), value)
    const again = await asUser(client, maintainer, 'get', `/projects/${project.id}`)
    assert.notInclude(again.text(), value!)
    assert.include(again.text(), 'items:read')

    const api = await client.get('/api/v1/projects/shop/work_items').bearerToken(value!)
    api.assertStatus(200)
    const [key] = await project.apiKeySummaries()
    const audit = await AuditEvent.findByOrFail('action', 'project.api_key_issued')
    assert.equal(audit.actorId, maintainer.id)

    await asUser(client, maintainer, 'delete', `/projects/${project.id}/api_keys/${key.id}`)
    const revoked = await client.get('/api/v1/projects/shop/work_items').bearerToken(value!)
    revoked.assertStatus(401)
  })

  test('a viewer may not issue keys', async ({ client, assert }) => {
    const viewer = await userWithRole('viewer')
    const project = await ProjectFactory.create()
    const refused = await asUser(client, viewer, 'post', `/projects/${project.id}/api_keys`, {
      name: 'x',
      scopes: ['items:read'],
    })
    assert.equal(refused.status(), 403)
    const fresh = await Project.findOrFail(project.id)
    assert.lengthOf(await fresh.apiKeySummaries(), 0)
  })
})
