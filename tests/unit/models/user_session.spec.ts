import { test } from '@japa/runner'
import db from '@adonisjs/lucid/services/db'
import testUtils from '@adonisjs/core/services/test_utils'
import UserSession from '#models/user_session'
import { SESSION_ABSOLUTE_SECONDS, SESSION_IDLE_SECONDS } from '#infrastructure/session_store'
import { UserFactory } from '#database/factories/user_factory'

/** A session row as the store writes it, created and last seen that many seconds ago. */
async function sessionOf(
  userId: number,
  id: string,
  ages: { created?: number; seen?: number } = {}
) {
  await db.rawQuery(
    `insert into sessions (id, user_id, data, created_at, last_seen_at)
     values (?, ?, '{}', now() - make_interval(secs => ?), now() - make_interval(secs => ?))`,
    [id, userId, ages.created ?? 0, ages.seen ?? 0]
  )
}

const ids = (sessions: UserSession[]) => sessions.map((session) => session.id)

test.group('UserSession', (group) => {
  group.each.setup(() => testUtils.db().truncate())

  test('a user’s active sessions leave out the idle and the too old, newest first', async ({
    assert,
  }) => {
    const user = await UserFactory.create()
    const other = await UserFactory.create()
    await sessionOf(user.id, 'older', { seen: 60 })
    await sessionOf(user.id, 'newest')
    await sessionOf(user.id, 'idle', { seen: SESSION_IDLE_SECONDS + 60 })
    await sessionOf(user.id, 'expired', { created: SESSION_ABSOLUTE_SECONDS + 60 })
    await sessionOf(other.id, 'someone-else')

    assert.deepEqual(ids(await UserSession.activeOf(user.id)), ['newest', 'older'])
  })

  test('ending all sessions but the current one leaves only that one; other users keep theirs', async ({
    assert,
  }) => {
    const user = await UserFactory.create()
    const other = await UserFactory.create()
    await sessionOf(user.id, 'this-browser')
    await sessionOf(user.id, 'laptop')
    await sessionOf(other.id, 'someone-else')

    await UserSession.endAllOf(user.id, { except: 'this-browser' })

    assert.deepEqual(ids(await UserSession.activeOf(user.id)), ['this-browser'])
    assert.deepEqual(ids(await UserSession.activeOf(other.id)), ['someone-else'])
  })
})
