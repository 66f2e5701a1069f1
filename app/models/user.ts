import { DateTime } from 'luxon'
import hash from '@adonisjs/core/services/hash'
import { compose } from '@adonisjs/core/helpers'
import { withAuthFinder } from '@adonisjs/auth/mixins/lucid'
import { beforeSave, column, hasMany } from '@adonisjs/lucid/orm'
import type { HasMany } from '@adonisjs/lucid/types/relations'
import { UserSchema } from '#database/schema'
import WorkItem from '#models/work_item'
import Run from '#models/run'

export const USER_ROLES = ['admin', 'maintainer', 'reviewer', 'viewer'] as const
export type UserRole = (typeof USER_ROLES)[number]

const AuthFinder = withAuthFinder(() => hash.use('scrypt'), {
  uids: ['email'],
  passwordColumnName: 'password',
})

export default class User extends compose(UserSchema, AuthFinder) {
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

  touchLogin() {
    this.lastLoginAt = DateTime.now()
  }
}
