import { BasePolicy } from '@adonisjs/bouncer'
import type User from '#models/user'

/** The kill switch and the global cap are admins' alone (spec §7). */
export default class SettingPolicy extends BasePolicy {
  view(user: User) {
    return user.hasRole('admin')
  }

  update(user: User) {
    return user.hasRole('admin')
  }
}
