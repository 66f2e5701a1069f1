import type { HttpContext } from '@adonisjs/core/http'
import WorkItem from '#models/work_item'
import WorkItemPolicy from '#policies/work_item_policy'
import { blockWorkItemValidator } from '#validators/work_item'

/** POST /work-items/:id/block puts an item on hold, with a reason; DELETE lifts the hold. */
export default class WorkItemBlocksController {
  async store({ params, request, response, auth, bouncer, session }: HttpContext) {
    await bouncer.with(WorkItemPolicy).authorize('manage')
    const item = await WorkItem.findOrFail(params.id)
    const { reason } = await request.validateUsing(blockWorkItemValidator)
    await item.block(auth.use('web').getUserOrFail(), reason, request.ip())
    session.flash('success', `Blocked work item #${item.id}.`)
    return response.redirect().back()
  }

  async destroy({ params, request, response, auth, bouncer, session }: HttpContext) {
    await bouncer.with(WorkItemPolicy).authorize('manage')
    const item = await WorkItem.findOrFail(params.id)
    await item.unblock(auth.use('web').getUserOrFail(), request.ip())
    session.flash('success', `Unblocked work item #${item.id}.`)
    return response.redirect().back()
  }
}
