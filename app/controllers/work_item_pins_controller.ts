import type { HttpContext } from '@adonisjs/core/http'
import WorkItem from '#models/work_item'
import Agent from '#models/agent'
import WorkItemPolicy from '#policies/work_item_policy'
import { pinWorkItemValidator } from '#validators/work_item'

/** POST /work-items/:id/pin reserves an item for one agent; DELETE frees it for all. */
export default class WorkItemPinsController {
  async store({ params, request, response, auth, bouncer, session }: HttpContext) {
    await bouncer.with(WorkItemPolicy).authorize('manage')
    const item = await WorkItem.findOrFail(params.id)
    const { agent_id: agentId } = await request.validateUsing(pinWorkItemValidator)
    const agent = await Agent.findOrFail(agentId)
    await item.pin(auth.use('web').getUserOrFail(), agent, request.ip())
    session.flash('success', `Work item #${item.id} is pinned to ${agent.key}.`)
    return response.redirect().back()
  }

  async destroy({ params, request, response, auth, bouncer, session }: HttpContext) {
    await bouncer.with(WorkItemPolicy).authorize('manage')
    const item = await WorkItem.findOrFail(params.id)
    await item.unpin(auth.use('web').getUserOrFail(), request.ip())
    session.flash('success', `Work item #${item.id} is no longer pinned.`)
    return response.redirect().back()
  }
}
