import { BasePolicy } from '@adonisjs/bouncer'
import type User from '#models/user'

/** Users are managed by admins (spec §7); nobody may lock themselves out of admin. */
export default class UserPolicy extends BasePolicy {
  viewList(user: User) {
    return user.hasRole('admin')
  }

  create(user: User) {
    return user.hasRole('admin')
  }

  update(user: User) {
    return user.hasRole('admin')
  }

  /** Deactivating or demoting oneself would leave the instance without the admin doing it. */
  demoteOrDeactivate(user: User, target: User) {
    return user.hasRole('admin') && user.id !== target.id
  }
}
