import type { TransactionClientContract } from '@adonisjs/lucid/types/database'
import { SessionSchema } from '#database/schema'
import { SESSION_ABSOLUTE_SECONDS, SESSION_IDLE_SECONDS } from '#infrastructure/session_store'

/**
 * A signed-in browser: a row of the server-side session store (#infrastructure/session_store).
 * Ending one deletes the row, so its cookie, wherever it was copied to, opens nothing.
 */
export default class UserSession extends SessionSchema {
  static table = 'sessions'

  /** A user's sessions still alive, newest first. */
  static activeOf(userId: number) {
    return this.query()
      .where('userId', userId)
      .whereRaw('created_at > now() - make_interval(secs => ?)', [SESSION_ABSOLUTE_SECONDS])
      .whereRaw('last_seen_at > now() - make_interval(secs => ?)', [SESSION_IDLE_SECONDS])
      .orderBy('lastSeenAt', 'desc')
  }

  /** Ends every session of the user, except the one named (the browser making the change). */
  static async endAllOf(
    userId: number,
    options: { except?: string | null; client?: TransactionClientContract } = {}
  ) {
    const query = this.query({ client: options.client }).where('userId', userId)
    if (options.except) query.whereNot('id', options.except)
    await query.delete()
  }
}
