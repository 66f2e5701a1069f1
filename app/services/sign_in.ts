import { createHash } from 'node:crypto'
import db from '@adonisjs/lucid/services/db'
import limiter from '@adonisjs/limiter/services/main'
import { errors as authErrors } from '@adonisjs/auth'
import { errors as limiterErrors } from '@adonisjs/limiter'
import type { Limiter } from '@adonisjs/limiter'
import AuditEvent from '#models/audit_event'
import User from '#models/user'

/** Failed attempts allowed per address and email before that pair must wait. */
export const SIGN_IN_ATTEMPTS = 5
/** Failed attempts allowed per address, whatever the emails (password spraying). */
export const SIGN_IN_ATTEMPTS_PER_ADDRESS = 50
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
 * Checks a login form: throttled in Postgres per (IP, email) and per IP, so that no number of
 * concurrent guesses gets more tries through than the limits allow; a deactivated user is
 * refused even with the right password. Success and failure are audited; success stamps
 * last_login_at and gives back the points it took.
 */
export default class SignIn {
  static async attempt(input: { email: string; password: string; ip: string }): Promise<User> {
    const email = input.email.trim().toLowerCase()
    const perAddress = limiter.use({
      requests: SIGN_IN_ATTEMPTS_PER_ADDRESS,
      duration: SIGN_IN_WINDOW,
    })
    const perAccount = limiter.use({ requests: SIGN_IN_ATTEMPTS, duration: SIGN_IN_WINDOW })
    const addressKey = `sign_in:${input.ip}`
    // Hashed: the key column is 255 characters and an email may be 254.
    const accountKey = `sign_in:${input.ip}:${sha256(email)}`
    // Counted before the password is checked: concurrent guesses each take a point atomically.
    await this.#take(perAddress, addressKey)
    await this.#take(perAccount, accountKey)

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

    await perAccount.delete(accountKey)
    await perAddress.decrement(addressKey)
    await db.transaction(async (trx) => {
      user.useTransaction(trx)
      user.touchLogin()
      await user.save()
      await AuditEvent.record(trx, {
        actor: user,
        action: 'user.logged_in',
        subject: user,
        ipAddress: input.ip,
      })
    })
    return user
  }

  static async #take(throttle: Limiter, key: string) {
    try {
      await throttle.consume(key)
    } catch (error) {
      if (error instanceof limiterErrors.E_TOO_MANY_REQUESTS) {
        throw new SignInRefused('throttled', error.response.availableIn)
      }
      throw error
    }
  }

  static async signOut(user: User, ip: string) {
    await db.transaction(async (trx) => {
      await AuditEvent.record(trx, {
        actor: user,
        action: 'user.logged_out',
        subject: user,
        ipAddress: ip,
      })
    })
  }

  /**
   * Whatever was typed as the email (a password, by mistake) is kept only when it is a user's
   * email; otherwise its hash, which still tells repeated attempts apart.
   */
  static async #recordFailure(email: string, ip: string, reason: SignInRefusal, user?: User) {
    user ??= (await User.findBy('email', email)) ?? undefined
    const typed = user ? { email } : { email_sha256: sha256(email) }
    await db.transaction(async (trx) => {
      await AuditEvent.record(trx, {
        actor: 'system',
        action: 'user.login_failed',
        subject: user ?? null,
        details: { ...typed, reason },
        ipAddress: ip,
      })
    })
  }
}

function sha256(text: string) {
  return createHash('sha256').update(text).digest('hex')
}
