import { test } from '@japa/runner'
import AuditEvent from '#models/audit_event'
import { ProjectFactory } from '#database/factories/project_factory'
import { WorkItemFactory } from '#database/factories/work_item_factory'
import {
  asUser,
  assertRoleGate,
  fieldErrors,
  htmlOf,
  userWithRole,
} from '#tests/support/admin_pages'
import { emptyWorld } from '#tests/support/test_database'

test.group('Audit log page', (group) => {
  group.each.setup(() => emptyWorld())

  test('every role reads the audit log; a visitor is sent to /login', async ({
    client,
    assert,
  }) => {
    await assertRoleGate(client, assert, { method: 'get', url: '/audit', minimumRole: 'viewer' })
  })

  test('filters by project, actor type, action and subject', async ({ client, assert }) => {
    const maintainer = await userWithRole('maintainer', { fullName: 'Grace Hopper' })
    const alpha = await ProjectFactory.create()
    const beta = await ProjectFactory.create()
    const wanted = await WorkItemFactory.merge({ projectId: alpha.id }).create()
    const sibling = await WorkItemFactory.merge({ projectId: alpha.id }).create()
    const elsewhere = await WorkItemFactory.merge({ projectId: beta.id }).create()
    await wanted.reprioritise(maintainer, 5, '10.1.1.1')
    await sibling.reprioritise(maintainer, 6, '10.1.1.2')
    await elsewhere.reprioritise(maintainer, 7, '10.1.1.3')
    await wanted.approve(maintainer, '10.1.1.4')

    const viewer = await userWithRole('viewer')
    const page = async (query: string) => await htmlOf(client, viewer, `/audit?${query}`)

    const byProject = await page(`project=${alpha.id}`)
    assert.include(byProject, '10.1.1.1')
    assert.include(byProject, '10.1.1.2')
    assert.notInclude(byProject, '10.1.1.3')
    const byAction = await page('action=work_item.approved&actor_type=user')
    assert.include(byAction, '10.1.1.4')
    assert.include(byAction, 'Grace Hopper')
    assert.notInclude(byAction, '10.1.1.1')
    const bySubject = await page(`subject_type=work_item&subject_id=${wanted.id}`)
    assert.include(bySubject, '10.1.1.1')
    assert.include(bySubject, '10.1.1.4')
    assert.notInclude(bySubject, '10.1.1.2')
    assert.notInclude(await page('actor_type=agent'), '10.1.1.1')
  })

  test('pages newest first by keyset', async ({ client, assert }) => {
    const maintainer = await userWithRole('maintainer')
    const projectFactory = await ProjectFactory.create()
    const item = await WorkItemFactory.merge({
      projectId: projectFactory.id,
    }).create()
    for (let priority = 1; priority <= 55; priority++)
      await item.reprioritise(maintainer, priority, `10.0.0.${priority}`)
    const auditEvents = await AuditEvent.query().orderBy('id', 'desc')
    const ids = auditEvents.map((event) => event.id)

    const first = await htmlOf(client, maintainer, '/audit')
    assert.include(first, '10.0.0.55<')
    assert.include(first, '10.0.0.6<')
    assert.notInclude(first, '10.0.0.5<')
    assert.include(first, `href="/audit?after=${ids[49]}"`)
    const second = await htmlOf(client, maintainer, `/audit?after=${ids[49]}`)
    assert.include(second, '10.0.0.5<')
    assert.include(second, '10.0.0.1<')
    assert.notInclude(second, '10.0.0.6<')
  })

  test('a subject id without its type is refused with a message', async ({ client, assert }) => {
    const response = await asUser(
      client,
      await userWithRole('viewer'),
      'get',
      '/audit?subject_id=4'
    ).header('referer', '/audit')
    response.assertStatus(302)
    assert.property(fieldErrors(response), 'subject_type')
  })
})
