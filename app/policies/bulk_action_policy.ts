import { BasePolicy } from '@adonisjs/bouncer'
import type { HttpContext } from '@adonisjs/core/http'
import type User from '#models/user'
import BulkAction, { type BulkActionKind } from '#models/bulk_action'
import WorkItemPolicy from '#policies/work_item_policy'
import RunPolicy from '#policies/run_policy'

/** A bulk action needs the role of its single-item action: approving a reviewer's, the rest a maintainer's. */
export default class BulkActionPolicy extends BasePolicy {
  view(_user: User) {
    return true
  }

  perform(user: User, kind: BulkActionKind) {
    if (BulkAction.targetOf(kind) === 'runs') return new RunPolicy().manage(user)
    if (kind === 'work_items.approve') return new WorkItemPolicy().approve(user)
    return new WorkItemPolicy().manage(user)
  }

  /** The kinds a list page offers its user, with their labels. */
  static async offered(bouncer: HttpContext['bouncer'], kinds: BulkActionKind[]) {
    const offered = []
    for (const kind of kinds) {
      if (await bouncer.with(BulkActionPolicy).allows('perform', kind)) {
        offered.push({ value: kind, label: BulkAction.verbOf(kind) })
      }
    }
    return offered
  }
}
