import { test } from '@japa/runner'
import router from '@adonisjs/core/services/router'
import { ProjectFactory } from '#database/factories/project_factory'
import { WorkItemFactory } from '#database/factories/work_item_factory'
import { asUser, fieldErrors, leaveNothingBehind, userWithRole } from '#tests/support/admin_pages'
import { emptyWorld } from '#tests/support/test_database'

/** Routes that are not admin pages (as in admin_routes.spec.ts). */
const PUBLIC = [/^\/api\//, /^\/webhooks\//, /^\/health/, /^\/login$/]
/** Beyond a Postgres integer (and a bigint): no row has such an id. */
const HUGE = '99999999999999999999'

test.group('Admin pages: ids and filters beyond the database integers', (group) => {
  group.each.setup(() => emptyWorld())
  group.teardown(() => leaveNothingBehind())

  test('every admin route answers 404 to an id too large to name a row, not 500', async ({
    client,
    assert,
  }) => {
    const admin = await userWithRole('admin')
    const routes = Object.values(router.toJSON())
      .flat()
      .filter(
        (route) =>
          !PUBLIC.some((pattern) => pattern.test(route.pattern)) && route.pattern.includes(':')
      )
    assert.isAbove(routes.length, 10)
    for (const route of routes) {
      const url = route.pattern.replace(/:[a-zA-Z_]+\??/g, HUGE)
      for (const method of route.methods.filter((name) => name !== 'HEAD')) {
        const response = await asUser(client, admin, method.toLowerCase() as 'get', url, {})
        assert.equal(response.status(), 404, `${method} ${url}`)
      }
    }
  })

  test('list filters and cursors beyond the key columns are refused, not a 500', async ({
    client,
    assert,
  }) => {
    const admin = await userWithRole('admin')
    const filters: Record<string, string[]> = {
      '/runs': ['after', 'before', 'project', 'agent'],
      '/audit': ['after', 'before', 'project', 'subject_type=run&subject_id'],
      '/work-items': ['after', 'before', 'project'],
      '/webhook-deliveries': ['after', 'before', 'project'],
      '/agents': ['after', 'before'],
      '/projects': ['after', 'before'],
      '/users': ['after', 'before'],
    }
    for (const [path, queries] of Object.entries(filters)) {
      for (const query of queries) {
        const response = await asUser(client, admin, 'get', `${path}?${query}=${HUGE}`).header(
          'referer',
          path
        )
        assert.equal(response.status(), 302, `${path}?${query}=${HUGE}`)
        assert.property(fieldErrors(response), query.split('&').pop()!, `${path}?${query}=${HUGE}`)
      }
    }
  })

  test('a work item form naming a project or agent id beyond integers gets a field message', async ({
    client,
    assert,
  }) => {
    const admin = await userWithRole('admin')
    const created = await asUser(client, admin, 'post', '/work-items', {
      project_id: HUGE,
      work_type: 'code',
      title: 'Fix it',
    })
    assert.equal(created.status(), 302)
    assert.property(fieldErrors(created), 'project_id')
    const project = await ProjectFactory.create()
    const item = await WorkItemFactory.merge({ projectId: project.id }).create()
    const pinned = await asUser(client, admin, 'post', `/work-items/${item.id}/pin`, {
      agent_id: HUGE,
    })
    assert.equal(pinned.status(), 302)
    assert.property(fieldErrors(pinned), 'agent_id')
  })

  test('a filter form submitted with its "All …" options (empty values) lists everything, unfiltered', async ({
    client,
    assert,
  }) => {
    const viewer = await userWithRole('viewer')
    const project = await ProjectFactory.create()
    const item = await WorkItemFactory.merge({ projectId: project.id }).create()
    const forms = {
      '/work-items': 'project=&status=&work_type=',
      '/runs': 'project=&agent=&status=',
      '/audit': 'project=&actor_type=&action=&subject_type=&subject_id=',
      '/webhook-deliveries': 'status=&project=',
    }
    for (const [path, query] of Object.entries(forms)) {
      const response = await asUser(client, viewer, 'get', `${path}?${query}`)
      assert.equal(response.status(), 200, `${path}?${query}`)
    }
    const items = await asUser(client, viewer, 'get', `/work-items?${forms['/work-items']}`)
    assert.include(items.text(), `href="/work-items/${item.id}"`)
  })
})
