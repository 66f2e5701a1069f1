import { BasePolicy } from '@adonisjs/bouncer'
import type User from '#models/user'

/** Spec §7: everyone signed in reads projects; maintainers create and edit them and their integrations. */
export default class ProjectPolicy extends BasePolicy {
  view(_user: User) {
    return true
  }

  create(user: User) {
    return user.hasRole('maintainer')
  }

  update(user: User) {
    return user.hasRole('maintainer')
  }
}
