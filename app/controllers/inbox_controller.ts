import type { HttpContext } from '@adonisjs/core/http'
import Inbox from '#presenters/inbox'
import WorkItemPolicy from '#policies/work_item_policy'
import RunPolicy from '#policies/run_policy'

/** GET /inbox: everything waiting for a person, with its action in place. */
export default class InboxController {
  async index({ view, bouncer }: HttpContext) {
    return view.render('pages/inbox/index', {
      section: 'inbox',
      ...(await Inbox.load()),
      can: {
        answer: await bouncer.with(WorkItemPolicy).allows('approve'),
        requeue: await bouncer.with(WorkItemPolicy).allows('manage'),
        review: await bouncer.with(RunPolicy).allows('review'),
      },
    })
  }
}
