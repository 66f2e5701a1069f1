import { isIP } from 'node:net'
import db from '@adonisjs/lucid/services/db'
import { MessageBuilder } from '@adonisjs/core/helpers'
import type { HttpContext } from '@adonisjs/core/http'
import type { SessionData, SessionStoreContract } from '@adonisjs/session/types'

/** A session unused this long is over (seconds). */
export const SESSION_IDLE_SECONDS = 2 * 60 * 60
/** A session this old is over however busy it is (seconds). */
export const SESSION_ABSOLUTE_SECONDS = 12 * 60 * 60

/** One write in a hundred also deletes expired sessions. */
const GC_PROBABILITY = 0.01

/** The signed-in user's id as the session guard keeps it in the session values. */
const USER_KEY = 'auth_web'

/**
 * Writes still on their way to Postgres, per session id: a read of the same session in this
 * process waits for them (the test client writes a session and sends the request at once).
 */
const pendingWrites = new Map<string, Promise<unknown>>()

/**
 * The session store of the admin pages: a row per session in `sessions`, ended by deleting it.
 * The server decides expiry (idle and absolute), so a copied cookie dies with its row; the row
 * also says who, since when, last seen, from which address and browser.
 */
export default class PostgresSessionStore implements SessionStoreContract {
  constructor(private ctx?: HttpContext) {}

  async read(sessionId: string): Promise<SessionData | null> {
    await pendingWrites.get(sessionId)
    const { rows } = await db.rawQuery(
      `select data,
              created_at > now() - make_interval(secs => ?)
          and last_seen_at > now() - make_interval(secs => ?) as alive
         from sessions where id = ?`,
      [SESSION_ABSOLUTE_SECONDS, SESSION_IDLE_SECONDS, sessionId]
    )
    if (rows.length === 0) return null
    if (!rows[0].alive) {
      await this.destroy(sessionId)
      return null
    }
    try {
      return new MessageBuilder().verify(rows[0].data, sessionId)
    } catch {
      return null
    }
  }

  write(sessionId: string, values: Record<string, unknown>): Promise<void> {
    const userId = Number(values[USER_KEY])
    const writing = db
      .rawQuery(
        `insert into sessions (id, user_id, data, ip_address, user_agent)
         values (?, ?, ?, ?, ?)
         on conflict (id) do update
            set user_id = excluded.user_id, data = excluded.data, last_seen_at = now(),
                ip_address = excluded.ip_address, user_agent = excluded.user_agent`,
        [
          sessionId,
          (Number.isInteger(userId) ? userId : null) as any,
          new MessageBuilder().build(values, undefined, sessionId),
          ...this.#client(),
        ]
      )
      .then(() => (Math.random() < GC_PROBABILITY ? this.#collectGarbage() : undefined))
      .finally(() => {
        if (pendingWrites.get(sessionId) === writing) pendingWrites.delete(sessionId)
      })
    pendingWrites.set(sessionId, writing)
    return writing.then(() => undefined)
  }

  async destroy(sessionId: string) {
    await db.from('sessions').where('id', sessionId).delete()
  }

  async touch(sessionId: string) {
    await db.rawQuery(
      `update sessions set last_seen_at = now(), ip_address = ?, user_agent = ? where id = ?`,
      [...this.#client(), sessionId]
    )
  }

  /** Ended-by-time sessions nobody came back to (visitors' included) are deleted now and then. */
  async #collectGarbage() {
    await db.rawQuery(
      `delete from sessions
        where created_at <= now() - make_interval(secs => ?)
           or last_seen_at <= now() - make_interval(secs => ?)`,
      [SESSION_ABSOLUTE_SECONDS, SESSION_IDLE_SECONDS]
    )
  }

  /** The address and browser of the request, bounded to their columns. */
  #client(): [string | null, string | null] {
    if (!this.ctx) return [null, null]
    const ip = this.ctx.request.ip()
    const agent = this.ctx.request.header('user-agent')
    return [isIP(ip) ? ip : null, agent ? agent.slice(0, 512) : null] as any
  }
}
