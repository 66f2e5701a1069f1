import type { HttpContext } from '@adonisjs/core/http'
import WorkItem from '#models/work_item'
import WorkItemPolicy from '#policies/work_item_policy'

/** POST /work-items/:id/cancellation */
export default class WorkItemCancellationsController {
  async store({ params, request, response, auth, bouncer, session }: HttpContext) {
    await bouncer.with(WorkItemPolicy).authorize('manage')
    const item = await WorkItem.findOrFail(params.id)
    await item.cancel(auth.use('web').getUserOrFail(), request.ip())
    session.flash('success', `Cancelled work item #${item.id}.`)
    return response.redirect().back()
  }
}
