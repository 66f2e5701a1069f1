import { DateTime } from 'luxon'
import hash from '@adonisjs/core/services/hash'
import { compose } from '@adonisjs/core/helpers'
import { withAuthFinder } from '@adonisjs/auth/mixins/lucid'
import { beforeSave, column, hasMany } from '@adonisjs/lucid/orm'
import type { HasMany } from '@adonisjs/lucid/types/relations'
import type { TransactionClientContract } from '@adonisjs/lucid/types/database'
import { UserSchema } from '#database/schema'
import WorkItem from '#models/work_item'
import Run from '#models/run'
import { withAuditedChanges } from '#models/mixins/audited_changes'
import UserSession from '#models/user_session'
import DuplicateValue from '#exceptions/duplicate_value'
import InvalidTransition from '#exceptions/invalid_transition'

export const USER_ROLES = ['admin', 'maintainer', 'reviewer', 'viewer'] as const
export type UserRole = (typeof USER_ROLES)[number]

/** The shortest password a user may have (the pages and `user:create` alike). */
export const MIN_PASSWORD_LENGTH = 12

const AuthFinder = withAuthFinder(() => hash.use('scrypt'), {
  uids: ['email'],
  passwordColumnName: 'password',
})

export default class User extends compose(UserSchema, AuthFinder, withAuditedChanges()) {
  declare role: UserRole

  @column({ serializeAs: null })
  declare password: string

  @hasMany(() => WorkItem, { foreignKey: 'approvedByUserId' })
  declare approvedWorkItems: HasMany<typeof WorkItem>

  @hasMany(() => Run, { foreignKey: 'reviewedByUserId' })
  declare reviewedRuns: HasMany<typeof Run>

  @beforeSave()
  static normaliseEmail(user: User) {
    if (user.$dirty.email) user.email = user.email.trim().toLowerCase()
  }

  /** Roles are ordered: each includes what the ones below it may do. */
  hasRole(role: UserRole) {
    return USER_ROLES.indexOf(this.role) <= USER_ROLES.indexOf(role)
  }

  /**
   * The user sets their own password (the first-boot admin must): every other session of
   * theirs ends, and the obligation to change it is lifted.
   */
  async changeOwnPassword(password: string, ipAddress: string | null, currentSessionId: string) {
    await this.changeAudited(
      this,
      'user.password_changed',
      async (trx) => {
        this.password = password
        this.mustChangePassword = false
        await UserSession.endAllOf(this.id, { except: currentSessionId, client: trx })
      },
      { ip: ipAddress }
    )
  }

  touchLogin() {
    this.lastLoginAt = DateTime.now()
  }

  /** An admin adds a person (the password is hashed on save). */
  static async register(
    attributes: {
      email: string
      fullName: string
      role: UserRole
      password: string
      /** The first boot's admin, whose printed password must be changed at first sign-in. */
      mustChangePassword?: boolean
    },
    by: User | 'system',
    ipAddress: string | null = null,
    /** The caller's transaction (the first boot's, which holds a lock), else one of its own. */
    options: { client?: TransactionClientContract } = {}
  ) {
    return DuplicateValue.guard('email', 'users_email_lower_unique', () =>
      User.auditedStep(
        by,
        'user.created',
        async (trx) => {
          const user = await User.create({ ...attributes, isActive: true }, { client: trx })
          return { subject: user, details: { email: user.email, role: user.role }, result: user }
        },
        { ip: ipAddress, client: options.client }
      )
    )
  }

  /**
   * An admin renames, re-roles or resets the password of a user (blank password: unchanged).
   * A new password or a lower role ends the user's sessions (but the one making the change).
   */
  async updateAccount(
    changes: { fullName: string; role: UserRole; password: string | null },
    by: User,
    ipAddress: string | null,
    currentSessionId: string | null = null
  ) {
    await this.changeAudited(
      by,
      'user.updated',
      async (trx) => {
        const details: Record<string, unknown> = {}
        if (changes.role !== this.role) details.role = { from: this.role, to: changes.role }
        if (changes.fullName !== this.fullName)
          details.full_name = { from: this.fullName, to: changes.fullName }
        if (changes.password) details.password_changed = true
        if (Object.keys(details).length === 0) return { unchanged: true }
        if (changes.role !== 'admin') await this.#ensureAnotherActiveAdmin(trx)
        // A new password or a lower role ends the user's sessions (but the one making the change).
        const lowered = USER_ROLES.indexOf(changes.role) > USER_ROLES.indexOf(this.role)
        if (changes.password || lowered) {
          await UserSession.endAllOf(this.id, { except: currentSessionId, client: trx })
        }
        this.fullName = changes.fullName
        this.role = changes.role
        if (changes.password) {
          this.password = changes.password
          if (by.id === this.id) this.mustChangePassword = false
        }
        return { details }
      },
      { ip: ipAddress }
    )
  }

  /** Deactivated users cannot sign in, and are signed out on their next request. */
  async deactivate(by: User, ipAddress: string | null) {
    await this.#setActive(false, by, ipAddress)
  }

  async reactivate(by: User, ipAddress: string | null) {
    await this.#setActive(true, by, ipAddress)
  }

  /**
   * Locks this user's row for `trx` and reloads it, together with the active admins' rows, in
   * id order: two admins demoting each other at once queue up instead of deadlocking, and the
   * last-admin check below reads rows nobody else can change.
   */
  override async lockRowIn(trx: TransactionClientContract) {
    await trx
      .from('users')
      .where('id', this.id)
      .orWhere((query) => query.where('role', 'admin').where('is_active', true))
      .orderBy('id')
      .forUpdate()
      .select('id')
    return super.lockRowIn(trx)
  }

  async #setActive(active: boolean, by: User, ipAddress: string | null) {
    await this.changeAudited(
      by,
      active ? 'user.reactivated' : 'user.deactivated',
      async (trx) => {
        if (this.isActive === active) return { unchanged: true }
        if (!active) await this.#ensureAnotherActiveAdmin(trx)
        if (!active) await UserSession.endAllOf(this.id, { client: trx })
        this.isActive = active
      },
      { ip: ipAddress }
    )
  }

  /**
   * Before this user stops being an active admin: another one must remain. The active admins'
   * rows are locked (in id order), so two admins demoting each other at once cannot both win.
   */
  async #ensureAnotherActiveAdmin(trx: TransactionClientContract) {
    const admins = await trx
      .from('users')
      .where('role', 'admin')
      .where('is_active', true)
      .orderBy('id')
      .forUpdate()
      .select('id')
    if (!admins.some((row) => row.id === this.id)) return
    if (admins.length === 1) {
      throw new InvalidTransition(
        `${this.fullName} is the last active admin: make another user admin first.`
      )
    }
  }
}
