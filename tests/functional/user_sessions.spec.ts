import { test } from '@japa/runner'
import db from '@adonisjs/lucid/services/db'
import User from '#models/user'
import UserSession from '#models/user_session'
import Installation from '#infrastructure/installation'
import { SESSION_ABSOLUTE_SECONDS, SESSION_IDLE_SECONDS } from '#infrastructure/session_store'
import { PASSWORD, leaveNothingBehind, userWithRole } from '#tests/support/admin_pages'
import Browser from '#tests/support/browser_session'
import { emptyWorld } from '#tests/support/test_database'

/** The cookie of a browser that signed in, as someone who copied it holds it. */
async function stolenCookieOf(email: string, password = PASSWORD) {
  const browser = await new Browser().signIn(email, password)
  return browser.copy()
}

test.group('Server-side sessions: a copied cookie stops working', (group) => {
  group.each.setup(() => emptyWorld())
  group.teardown(() => leaveNothingBehind())

  test('after logout', async ({ assert }) => {
    const user = await userWithRole('viewer')
    const browser = await new Browser().signIn(user.email)
    const thief = browser.copy()
    assert.isTrue(await thief.signedIn(), 'the copy works while the session lives')
    await browser.send('POST', '/logout')
    assert.isFalse(await thief.signedIn())
    assert.lengthOf(await UserSession.query().where('userId', user.id), 0)
  })

  test('after a password change (the user’s own: other sessions end, this one stays)', async ({
    assert,
  }) => {
    const user = await userWithRole('viewer')
    const laptop = await new Browser().signIn(user.email)
    const thief = await stolenCookieOf(user.email)
    const changed = await laptop.send('PUT', '/account/password', {
      current_password: PASSWORD,
      password: 'a brand new long password',
      password_confirmation: 'a brand new long password',
    })
    assert.equal(changed.location, '/')
    assert.isFalse(await thief.signedIn())
    assert.isTrue(await laptop.signedIn())
  })

  test('after an admin resets the password or lowers the role', async ({ assert }) => {
    const admin = await userWithRole('admin')
    const user = await userWithRole('maintainer')
    const adminBrowser = await new Browser().signIn(admin.email)
    for (const change of [
      { full_name: user.fullName, role: 'maintainer', password: 'another long password' },
      { full_name: user.fullName, role: 'viewer', password: '' },
    ]) {
      const thief = await stolenCookieOf(
        user.email,
        change.role === 'viewer' ? 'another long password' : PASSWORD
      )
      assert.isTrue(await thief.signedIn())
      const saved = await adminBrowser.send('PUT', `/users/${user.id}`, change)
      assert.equal(saved.location, '/users')
      assert.isFalse(await thief.signedIn(), JSON.stringify(change))
    }
    assert.isTrue(await adminBrowser.signedIn(), 'the admin making the change stays signed in')
  })

  test('after deactivation', async ({ assert }) => {
    const admin = await userWithRole('admin')
    const user = await userWithRole('viewer')
    const thief = await stolenCookieOf(user.email)
    const adminBrowser = await new Browser().signIn(admin.email)
    await adminBrowser.send('POST', `/users/${user.id}/deactivation`)
    assert.lengthOf(await UserSession.query().where('userId', user.id), 0)
    await User.query().where('id', user.id).update({ isActive: true })
    assert.isFalse(await thief.signedIn(), 'even once reactivated, the old session is gone')
  })

  test('after 2 hours idle and after 12 hours however busy (server clock moved)', async ({
    assert,
  }) => {
    const user = await userWithRole('viewer')
    const idle = await stolenCookieOf(user.email)
    const busy = await stolenCookieOf(user.email)
    const [idleId, busyId] = [idle, busy].map((browser) =>
      decodeURIComponent(browser.cookies.get('gatehouse-session') ?? '')
    )
    assert.lengthOf(await UserSession.query().where('userId', user.id), 2)
    // Moving the clock forward is moving the rows' stamps back by as much.
    await db.rawQuery(
      `update sessions set last_seen_at = now() - make_interval(secs => ?)
        where user_id = ? and created_at = (select min(created_at) from sessions where user_id = ?)`,
      [SESSION_IDLE_SECONDS + 60, user.id, user.id]
    )
    await db.rawQuery(
      `update sessions set created_at = now() - make_interval(secs => ?)
        where user_id = ? and last_seen_at > now() - interval '1 minute'`,
      [SESSION_ABSOLUTE_SECONDS + 60, user.id]
    )
    assert.isFalse(await idle.signedIn(), 'idle past 2 h')
    assert.isFalse(await busy.signedIn(), 'older than 12 h')
    assert.isAbove(idleId.length + busyId.length, 0)
    assert.lengthOf(await UserSession.query().where('userId', user.id), 0, 'both rows deleted')
  })
})

test.group('Server-side sessions: seeing and ending them', (group) => {
  group.each.setup(() => emptyWorld())
  group.teardown(() => leaveNothingBehind())

  test('a user sees their sessions (address, browser) and ends another of theirs', async ({
    assert,
  }) => {
    const user = await userWithRole('viewer')
    const laptop = await new Browser().signIn(user.email)
    const phone = await new Browser().signIn(user.email)
    const page = await laptop.request('GET', `/users/${user.id}/sessions`)
    assert.equal(page.status, 200)
    assert.include(page.body, 'SessionsTest/1.0')
    assert.include(page.body, '127.0.0.1')
    assert.include(page.body, 'this browser')
    const phoneRow = await UserSession.query()
      .where('userId', user.id)
      .orderBy('createdAt', 'desc')
      .firstOrFail()
    await laptop.send('DELETE', `/users/${user.id}/sessions/${phoneRow.id}`)
    assert.isFalse(await phone.signedIn())
    assert.isTrue(await laptop.signedIn())
  })

  test('an admin ends anyone’s session; others cannot even see them', async ({ assert }) => {
    const admin = await userWithRole('admin')
    const user = await userWithRole('viewer')
    const other = await userWithRole('maintainer')
    const userBrowser = await new Browser().signIn(user.email)
    const otherBrowser = await new Browser().signIn(other.email)
    const notTheirs = await otherBrowser.request('GET', `/users/${user.id}/sessions`)
    assert.equal(notTheirs.status, 403)
    const row = await UserSession.query().where('userId', user.id).firstOrFail()
    const refused = await otherBrowser.send('DELETE', `/users/${user.id}/sessions/${row.id}`)
    assert.equal(refused.status, 403)
    assert.isTrue(await userBrowser.signedIn())

    const adminBrowser = await new Browser().signIn(admin.email)
    await adminBrowser.send('DELETE', `/users/${user.id}/sessions/${row.id}`)
    assert.isFalse(await userBrowser.signedIn())
  })

  test('the first-boot admin must set a new password before anything else', async ({ assert }) => {
    await db.from('users').delete()
    const printed = await Installation.createFirstAdmin()
    assert.exists(printed)
    const browser = await new Browser().signIn(printed!.email, printed!.password)
    const dashboard = await browser.request('GET', '/')
    assert.equal(dashboard.status, 302)
    assert.equal(dashboard.location, '/account/password')
    const elsewhere = await browser.request('GET', '/projects')
    assert.equal(elsewhere.location, '/account/password')

    const changed = await browser.send('PUT', '/account/password', {
      current_password: printed!.password,
      password: 'my own long admin password',
      password_confirmation: 'my own long admin password',
    })
    assert.equal(changed.location, '/')
    assert.isTrue(await browser.signedIn())
    const admin = await User.findByOrFail('email', printed!.email)
    assert.isFalse(admin.mustChangePassword)
  })
})
