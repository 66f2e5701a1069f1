import type { HttpContext } from '@adonisjs/core/http'
import WorkItem from '#models/work_item'
import WorkItemPolicy from '#policies/work_item_policy'

/** POST /work-items/:id/approval */
export default class WorkItemApprovalsController {
  async store({ params, request, response, auth, bouncer, session }: HttpContext) {
    await bouncer.with(WorkItemPolicy).authorize('approve')
    const item = await WorkItem.findOrFail(params.id)
    await item.approve(auth.use('web').getUserOrFail(), request.ip())
    session.flash('success', `Approved work item #${item.id}.`)
    return response.redirect().back()
  }
}
