import { BasePolicy } from '@adonisjs/bouncer'
import type User from '#models/user'

/** Spec §7: maintainers create, edit, enable/disable agents and issue or revoke their tokens. */
export default class AgentPolicy extends BasePolicy {
  view(_user: User) {
    return true
  }

  manage(user: User) {
    return user.hasRole('maintainer')
  }
}
