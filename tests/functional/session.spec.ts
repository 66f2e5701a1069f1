import { test } from '@japa/runner'
import AuditEvent from '#models/audit_event'
import { SIGN_IN_ATTEMPTS, SIGN_IN_ATTEMPTS_PER_ADDRESS } from '#services/sign_in'
import {
  PASSWORD,
  asUser,
  fieldErrors,
  userWithRole,
  leaveNothingBehind,
} from '#tests/support/admin_pages'
import { emptyWorld } from '#tests/support/test_database'

test.group('Admin sign-in', (group) => {
  group.each.setup(() => emptyWorld())
  group.teardown(() => leaveNothingBehind())

  test('the login page is a form that posts its CSRF token', async ({ client, assert }) => {
    const response = await client.get('/login')
    response.assertStatus(200)
    assert.include(response.text(), 'action="/login"')
    assert.match(response.text(), /name='_csrf' value='[^']+'/)
  })

  test('a visitor asking for a page is sent to /login', async ({ client, assert }) => {
    const response = await asUser(client, null, 'get', '/')
    response.assertStatus(302)
    assert.equal(response.header('location'), '/login')
  })

  test('a visitor asking for a page is brought back to it after signing in, but not to a live log stream', async ({
    client,
    assert,
  }) => {
    const page = await client
      .get('/work-items?status=pending')
      .redirects(0)
      .header('accept', 'text/html')
    assert.deepEqual(page.session('redirect'), { intendedUrl: '/work-items?status=pending' })
    const stream = await client
      .get('/runs/1/logs/stream')
      .redirects(0)
      .header('accept', 'text/event-stream')
    assert.equal(stream.header('location'), '/login')
    assert.isUndefined(stream.session('redirect'))
  })

  test('the right password signs in, stamps last_login_at and is audited with the IP', async ({
    client,
    assert,
  }) => {
    const user = await userWithRole('viewer', { email: 'ada@example.com' })

    const response = await asUser(client, null, 'post', '/login', {
      email: ' Ada@Example.com ',
      password: PASSWORD,
    })

    response.assertStatus(302)
    assert.equal(response.header('location'), '/')
    assert.equal(response.session('auth_web'), user.id)
    await user.refresh()
    assert.isNotNull(user.lastLoginAt)
    const event = await AuditEvent.findByOrFail('action', 'user.logged_in')
    assert.equal(event.actorType, 'user')
    assert.equal(event.actorId, user.id)
    assert.equal(event.ipAddress, '127.0.0.1')
  })

  test('a wrong password is refused with a message, the email kept, and an audit event', async ({
    client,
    assert,
  }) => {
    const user = await userWithRole('admin', { email: 'grace@example.com' })

    const response = await asUser(client, null, 'post', '/login', {
      email: 'grace@example.com',
      password: 'nope',
    })

    response.assertStatus(302)
    assert.equal(response.header('location'), '/login')
    assert.isUndefined(response.session('auth_web'))
    response.assertFlashMessage('error', 'Wrong email or password.')
    response.assertFlashMessage('email', 'grace@example.com')
    assert.notProperty(response.flashMessages(), 'password')
    await user.refresh()
    assert.isNull(user.lastLoginAt)
    const event = await AuditEvent.findByOrFail('action', 'user.login_failed')
    assert.deepEqual(event.details, { email: 'grace@example.com', reason: 'invalid_credentials' })
  })

  test('a deactivated user cannot sign in, even with the right password', async ({
    client,
    assert,
  }) => {
    await userWithRole('admin', { email: 'gone@example.com', isActive: false })

    const response = await asUser(client, null, 'post', '/login', {
      email: 'gone@example.com',
      password: PASSWORD,
    })

    response.assertStatus(302)
    assert.isUndefined(response.session('auth_web'))
    response.assertFlashMessage(
      'error',
      'This account is deactivated. Ask an admin to reactivate it.'
    )
  })

  test('a user deactivated mid-session is signed out on the next page', async ({
    client,
    assert,
  }) => {
    const user = await userWithRole('admin')
    user.isActive = false
    await user.save()

    const response = await asUser(client, user, 'get', '/')

    response.assertStatus(302)
    assert.equal(response.header('location'), '/login')
    assert.isUndefined(response.session('auth_web'))
  })

  test('an empty form re-renders with per-field messages', async ({ client, assert }) => {
    const response = await asUser(client, null, 'post', '/login', {
      email: '',
      password: '',
    }).header('referer', '/login')
    response.assertStatus(302)
    assert.equal(response.header('location'), '/login')
    assert.sameMembers(Object.keys(fieldErrors(response)), ['email', 'password'])
  })

  test('a form posted without its CSRF token is refused with a page', async ({
    client,
    assert,
  }) => {
    await userWithRole('admin', { email: 'csrf@example.com' })

    const response = await client
      .post('/login')
      .redirects(0)
      .header('accept', 'text/html')
      .form({ email: 'csrf@example.com', password: PASSWORD })

    response.assertStatus(403)
    assert.include(response.text(), 'This form has expired')
    assert.isUndefined(response.session('auth_web'))
  })

  test('concurrent guesses get exactly the allowed attempts through, then 429 even for the right password', async ({
    client,
    assert,
  }) => {
    const user = await userWithRole('admin', { email: 'target@example.com' })

    const guesses = await Promise.all(
      Array.from({ length: 20 }, (_, index) =>
        asUser(client, null, 'post', '/login', {
          email: 'target@example.com',
          password: `guess-${index}`,
        })
      )
    )

    const statuses = guesses.map((response) => response.status())
    assert.equal(statuses.filter((status) => status === 302).length, SIGN_IN_ATTEMPTS)
    assert.equal(statuses.filter((status) => status === 429).length, 20 - SIGN_IN_ATTEMPTS)
    const failures = await AuditEvent.query().where('action', 'user.login_failed')
    assert.lengthOf(failures, SIGN_IN_ATTEMPTS, 'only the attempts let through were checked')

    const right = await asUser(client, null, 'post', '/login', {
      email: 'target@example.com',
      password: PASSWORD,
    })
    right.assertStatus(429)
    assert.isAbove(Number(right.header('retry-after')), 0)
    assert.include(right.text(), 'Too many failed attempts')
    assert.isUndefined(right.session('auth_web'))
    await user.refresh()
    assert.isNull(user.lastLoginAt)
  })

  test('one address spraying many emails gets exactly the per-address attempts, concurrently', async ({
    client,
    assert,
  }) => {
    const total = SIGN_IN_ATTEMPTS_PER_ADDRESS + 10
    const guesses = await Promise.all(
      Array.from({ length: total }, (_, index) =>
        asUser(client, null, 'post', '/login', {
          email: `nobody-${index}@example.com`,
          password: 'guess',
        })
      )
    )

    const statuses = guesses.map((response) => response.status())
    assert.equal(statuses.filter((status) => status === 302).length, SIGN_IN_ATTEMPTS_PER_ADDRESS)
    assert.equal(statuses.filter((status) => status === 429).length, 10)
  }).timeout(120_000)

  test('a successful sign-in gives its point back to the address', async ({ client, assert }) => {
    const user = await userWithRole('viewer', { email: 'regular@example.com' })
    for (let index = 0; index < SIGN_IN_ATTEMPTS_PER_ADDRESS + 5; index++) {
      const response = await asUser(client, null, 'post', '/login', {
        email: user.email,
        password: PASSWORD,
      })
      assert.equal(response.session('auth_web'), user.id, `sign-in ${index + 1}`)
    }
  }).timeout(120_000)

  test('logging out ends the session and is audited', async ({ client, assert }) => {
    const user = await userWithRole('viewer')

    const response = await asUser(client, user, 'post', '/logout')

    response.assertStatus(302)
    assert.equal(response.header('location'), '/login')
    assert.isUndefined(response.session('auth_web'))
    assert.exists(await AuditEvent.findBy('action', 'user.logged_out'))
  })

  test('a signed-in user visiting /login goes to the dashboard', async ({ client, assert }) => {
    const response = await asUser(client, await userWithRole('viewer'), 'get', '/login')
    response.assertStatus(302)
    assert.equal(response.header('location'), '/')
  })
})

test.group('Admin error pages', (group) => {
  group.each.setup(() => emptyWorld())
  group.teardown(() => leaveNothingBehind())

  test('an unknown page is a 404 page for people and problem+json under /api', async ({
    client,
    assert,
  }) => {
    const page = await asUser(client, await userWithRole('viewer'), 'get', '/no-such-page')
    page.assertStatus(404)
    assert.include(page.header('content-type'), 'text/html')
    assert.include(page.text(), 'Not found')

    const api = await client.get('/api/v1/no-such-endpoint')
    api.assertStatus(404)
    assert.include(api.header('content-type'), 'application/problem+json')
  })
})
