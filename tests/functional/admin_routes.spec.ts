import { test } from '@japa/runner'
import router from '@adonisjs/core/services/router'
import { asUser, leaveNothingBehind } from '#tests/support/admin_pages'
import { emptyWorld } from '#tests/support/test_database'

/** Routes that are not admin pages: the agent API, webhooks, health checks, metrics (its own token), and the login form itself. */
const PUBLIC = [/^\/api\//, /^\/webhooks\//, /^\/health/, /^\/metrics$/, /^\/login$/]

test.group('Admin routes', (group) => {
  group.each.setup(() => emptyWorld())
  group.teardown(() => leaveNothingBehind())

  test('every admin route, present or future, sends a visitor to /login', async ({
    client,
    assert,
  }) => {
    const routes = Object.values(router.toJSON())
      .flat()
      .filter((route) => !PUBLIC.some((pattern) => pattern.test(route.pattern)))
    assert.isAbove(routes.length, 10)

    for (const route of routes) {
      const url = route.pattern.replace(/:[a-zA-Z_]+\??/g, '1')
      for (const method of route.methods.filter((name) => name !== 'HEAD')) {
        const response = await asUser(client, null, method.toLowerCase() as 'get', url, {})
        assert.equal(response.status(), 302, `${method} ${route.pattern} (${route.name})`)
        assert.equal(
          response.header('location'),
          '/login',
          `${method} ${route.pattern} (${route.name})`
        )
      }
    }
  })
})
