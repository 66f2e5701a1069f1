import { BasePolicy } from '@adonisjs/bouncer'
import type User from '#models/user'

/** The audit log is readable by every signed-in user (spec §7: viewers read). */
export default class AuditEventPolicy extends BasePolicy {
  view(_user: User) {
    return true
  }
}
