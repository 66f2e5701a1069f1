import { test } from '@japa/runner'
import { claimedRun } from '#tests/support/claimed_run'
import { asUser, leaveNothingBehind, userWithRole } from '#tests/support/admin_pages'
import { emptyWorld } from '#tests/support/test_database'

const base = () => `http://${process.env.HOST}:${process.env.PORT}`

function assertSecurityHeaders(assert: any, headers: Headers, label: string) {
  const csp = headers.get('content-security-policy') ?? ''
  for (const directive of [`base-uri 'none'`, `form-action 'self'`, `frame-ancestors 'none'`]) {
    assert.include(csp, directive, `${label}: ${directive}`)
  }
  assert.equal(headers.get('x-content-type-options'), 'nosniff', label)
  assert.equal(headers.get('x-frame-options')?.toUpperCase(), 'DENY', label)
}

test.group('Security headers on every response', (group) => {
  group.each.setup(() => emptyWorld())
  group.teardown(() => leaveNothingBehind())

  test('404s, static files, the login page and problem+json all carry them', async ({ assert }) => {
    for (const path of ['/no/such/page', '/app.css', '/login', '/api/v1/agent', '/health']) {
      const response = await fetch(`${base()}${path}`, { headers: { accept: 'text/html' } })
      await response.arrayBuffer()
      assertSecurityHeaders(assert, response.headers, path)
    }
  })

  test('signed-in pages are no-store and carry the full CSP', async ({ client, assert }) => {
    const admin = await userWithRole('admin')
    for (const path of ['/', '/agents', `/users/${admin.id}/sessions`]) {
      const response = await asUser(client, admin, 'get', path)
      response.assertStatus(200)
      assert.equal(response.header('cache-control'), 'no-store', path)
      assert.include(response.header('content-security-policy'), `frame-ancestors 'none'`, path)
    }
  })

  test('only http(s) URLs become links: a javascript: PR URL is shown as text', async ({
    client,
    assert,
  }) => {
    const admin = await userWithRole('admin')
    const { run, item } = await claimedRun()
    await run
      .merge({ prUrl: 'javascript:alert(document.cookie)', logsUrl: 'https://ci.example/1' })
      .save()
    await item.merge({ externalUrl: 'data:text/html,<script>alert(1)</script>' }).save()
    const runPage = await asUser(client, admin, 'get', `/runs/${run.id}`)
    runPage.assertStatus(200)
    assert.notInclude(runPage.text(), 'href="javascript:')
    assert.include(runPage.text(), 'href="https://ci.example/1"')
    const itemPage = await asUser(client, admin, 'get', `/work-items/${item.id}`)
    itemPage.assertStatus(200)
    assert.notInclude(itemPage.text(), 'href="data:')
  })
})
