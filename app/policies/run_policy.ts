import { BasePolicy } from '@adonisjs/bouncer'
import type User from '#models/user'

/** Spec §7: reviewers review runs (the human_review gate); maintainers cancel them. */
export default class RunPolicy extends BasePolicy {
  view(_user: User) {
    return true
  }

  review(user: User) {
    return user.hasRole('reviewer')
  }

  manage(user: User) {
    return user.hasRole('maintainer')
  }
}
