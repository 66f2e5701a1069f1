import type { HttpContext } from '@adonisjs/core/http'
import WorkItem from '#models/work_item'
import Question from '#models/question'
import WorkItemPolicy from '#policies/work_item_policy'
import { questionAnswerValidator } from '#validators/run'

/** POST /work-items/:id/answer: a reviewer or above answers the agent's open question. */
export default class WorkItemAnswersController {
  async store({ params, request, response, auth, bouncer, session }: HttpContext) {
    await bouncer.with(WorkItemPolicy).authorize('approve')
    const item = await WorkItem.findOrFail(params.id)
    const { answer } = await request.validateUsing(questionAnswerValidator)
    await Question.answer(item, answer, { user: auth.use('web').getUserOrFail() }, request.ip())
    session.flash('success', `Answered work item #${item.id}'s question; it is pending again.`)
    return response.redirect().back()
  }
}
