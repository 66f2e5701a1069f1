import { BasePolicy } from '@adonisjs/bouncer'
import type User from '#models/user'

/** Spec §7: reviewers approve items; maintainers create, edit, cancel, requeue, block, pin them. */
export default class WorkItemPolicy extends BasePolicy {
  view(_user: User) {
    return true
  }

  approve(user: User) {
    return user.hasRole('reviewer')
  }

  manage(user: User) {
    return user.hasRole('maintainer')
  }
}
