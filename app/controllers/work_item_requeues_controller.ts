import type { HttpContext } from '@adonisjs/core/http'
import WorkItem from '#models/work_item'
import WorkItemPolicy from '#policies/work_item_policy'
import { requeueValidator } from '#validators/work_item'

/** POST /work-items/:id/requeue */
export default class WorkItemRequeuesController {
  async store({ params, request, response, auth, bouncer, session }: HttpContext) {
    await bouncer.with(WorkItemPolicy).authorize('manage')
    const item = await WorkItem.findOrFail(params.id)
    const { note } = await request.validateUsing(requeueValidator)
    await item.requeue(auth.use('web').getUserOrFail(), request.ip(), note ?? null)
    session.flash('success', `Requeued work item #${item.id}.`)
    return response.redirect().back()
  }
}
