import { test } from '@japa/runner'
import { asUser, userWithRole, leaveNothingBehind } from '#tests/support/admin_pages'
import { emptyWorld } from '#tests/support/test_database'

test.group('Admin layout', (group) => {
  group.each.setup(() => emptyWorld())
  group.teardown(() => leaveNothingBehind())

  test('pages share one layout: nav, the signed-in user and a logout form with its CSRF token', async ({
    client,
    assert,
  }) => {
    const user = await userWithRole('maintainer', { fullName: 'Margaret Hamilton' })
    const response = await asUser(client, user, 'get', '/')

    response.assertStatus(200)
    const html = response.text()
    for (const href of ['/', '/projects', '/work-items', '/agents', '/runs', '/audit']) {
      assert.include(html, `href="${href}"`)
    }
    assert.include(html, 'Margaret Hamilton')
    assert.match(
      html,
      /<form class="whoami" method="POST" action="\/logout">\s*<input type='hidden' name='_csrf'/
    )
    assert.include(html, '<link rel="stylesheet" href="/app.css">')
  })

  test('only admins see Settings and Users in the nav', async ({ client, assert }) => {
    const maintainer = await asUser(client, await userWithRole('maintainer'), 'get', '/')
    assert.notInclude(maintainer.text(), 'href="/users"')
    assert.notInclude(maintainer.text(), 'href="/settings"')
    const admin = await asUser(client, await userWithRole('admin'), 'get', '/')
    assert.include(admin.text(), 'href="/users"')
    assert.include(admin.text(), 'href="/settings"')
  })

  test('the stylesheet is served from public/ and pages allow only same-origin assets', async ({
    client,
    assert,
  }) => {
    const css = await client.get('/app.css')
    css.assertStatus(200)
    assert.include(css.header('content-type'), 'text/css')

    const page = await asUser(client, await userWithRole('viewer'), 'get', '/')
    assert.include(page.header('content-security-policy'), "default-src 'self'")
    assert.notMatch(page.text(), /https?:\/\//, 'no external fonts, scripts or stylesheets')
  })
})
