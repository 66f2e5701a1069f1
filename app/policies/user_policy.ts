import { AuthorizationResponse, BasePolicy } from '@adonisjs/bouncer'
import type User from '#models/user'
import type { UserRole } from '#models/user'

/** Users are managed by admins (spec §7); nobody may lock themselves out of admin. */
export default class UserPolicy extends BasePolicy {
  viewList(user: User) {
    return user.hasRole('admin')
  }

  create(user: User) {
    return user.hasRole('admin')
  }

  /** An admin edits anyone, but cannot take admin away from themselves. */
  update(user: User, target: User, newRole?: UserRole) {
    if (!user.hasRole('admin')) return false
    if (user.id === target.id && newRole !== undefined && newRole !== 'admin') {
      return AuthorizationResponse.deny('You cannot demote yourself: ask another admin.')
    }
    return true
  }

  deactivate(user: User, target: User) {
    if (!user.hasRole('admin')) return false
    if (user.id === target.id)
      return AuthorizationResponse.deny('You cannot deactivate yourself: ask another admin.')
    return true
  }

  /** Everyone sees and ends their own sessions; admins anyone's. */
  manageSessions(user: User, target: User) {
    return user.id === target.id || user.hasRole('admin')
  }
}
