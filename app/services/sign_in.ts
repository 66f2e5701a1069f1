import db from '@adonisjs/lucid/services/db'
import limiter from '@adonisjs/limiter/services/main'
import { errors as authErrors } from '@adonisjs/auth'
import { errors as limiterErrors } from '@adonisjs/limiter'
import AuditEvent from '#models/audit_event'
import User from '#models/user'

/** Failed attempts allowed per address and email before that pair must wait. */
export const SIGN_IN_ATTEMPTS = 5
const SIGN_IN_WINDOW = '15 minutes'

export type SignInRefusal = 'invalid_credentials' | 'deactivated' | 'throttled'

export class SignInRefused extends Error {
  constructor(
    readonly reason: SignInRefusal,
    readonly retryAfterSeconds = 0
  ) {
    super(reason)
  }
}

/**
 * Checks a login form: throttled per (IP, email) in Postgres, so that no number of concurrent
 * guesses gets more than SIGN_IN_ATTEMPTS tries through; a deactivated user is refused even
 * with the right password. Success and failure are audited; success stamps last_login_at.
 */
export default class SignIn {
  static async attempt(input: { email: string; password: string; ip: string }): Promise<User> {
    const email = input.email.trim().toLowerCase()
    const throttle = limiter.use({ requests: SIGN_IN_ATTEMPTS, duration: SIGN_IN_WINDOW })
    const key = `sign_in:${input.ip}:${email}`
    try {
      // Counted before the password is checked: concurrent guesses each take a point atomically.
      await throttle.consume(key)
    } catch (error) {
      if (error instanceof limiterErrors.E_TOO_MANY_REQUESTS) {
        throw new SignInRefused('throttled', error.response.availableIn)
      }
      throw error
    }

    let user: User
    try {
      user = await User.verifyCredentials(email, input.password)
    } catch (error) {
      if (!(error instanceof authErrors.E_INVALID_CREDENTIALS)) throw error
      await this.#recordFailure(email, input.ip, 'invalid_credentials')
      throw new SignInRefused('invalid_credentials')
    }
    if (!user.isActive) {
      await this.#recordFailure(email, input.ip, 'deactivated', user)
      throw new SignInRefused('deactivated')
    }

    await throttle.delete(key)
    await db.transaction(async (trx) => {
      user.useTransaction(trx)
      user.touchLogin()
      await user.save()
      await AuditEvent.record(trx, { actor: user, action: 'user.logged_in', subject: user, ipAddress: input.ip })
    })
    return user
  }

  static async signOut(user: User, ip: string) {
    await db.transaction(async (trx) => {
      await AuditEvent.record(trx, { actor: user, action: 'user.logged_out', subject: user, ipAddress: ip })
    })
  }

  static async #recordFailure(email: string, ip: string, reason: SignInRefusal, user?: User) {
    await db.transaction(async (trx) => {
      await AuditEvent.record(trx, {
        actor: 'system',
        action: 'user.login_failed',
        subject: user ?? null,
        details: { email, reason },
        ipAddress: ip,
      })
    })
  }
}
