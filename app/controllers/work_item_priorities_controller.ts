import type { HttpContext } from '@adonisjs/core/http'
import WorkItem from '#models/work_item'
import WorkItemPolicy from '#policies/work_item_policy'
import { workItemPriorityValidator } from '#validators/work_item'

/** PUT /work-items/:id/priority */
export default class WorkItemPrioritiesController {
  async update({ params, request, response, auth, bouncer, session }: HttpContext) {
    await bouncer.with(WorkItemPolicy).authorize('manage')
    const item = await WorkItem.findOrFail(params.id)
    const { priority } = await request.validateUsing(workItemPriorityValidator)
    await item.reprioritise(auth.use('web').getUserOrFail(), priority, request.ip())
    session.flash('success', `Work item #${item.id} now has priority ${priority}.`)
    return response.redirect().back()
  }
}
