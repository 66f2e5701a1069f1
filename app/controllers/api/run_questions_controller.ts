import type { HttpContext } from '@adonisjs/core/http'
import Run from '#models/run'
import RunLifecycle from '#services/runs/run_lifecycle'
import { runQuestionValidator } from '#validators/run'

/** POST /api/v1/runs/:id/questions: the agent asks a person; its run ends `needs_input`. */
export default class RunQuestionsController {
  async store({ params, request, response, auth }: HttpContext) {
    const agent = auth.use('api').getUserOrFail()
    const run = await Run.findForAgentOrFail(agent, params.id)
    const asked = await request.validateUsing(runQuestionValidator)
    const settled = await RunLifecycle.ask(run, agent, asked)
    const body = {
      run: settled.run.toAgentJson(),
      work_item: { id: settled.workItem.id, status: settled.workItem.status },
      question: settled.question
        ? {
            id: settled.question.id,
            status: settled.question.status,
            question: settled.question.question,
            choices: settled.question.choices,
            context: settled.question.context ?? null,
          }
        : null,
    }
    // A repeat is answered as the first time was; a run stopped on request asked nothing.
    return settled.repeated || !settled.question ? response.ok(body) : response.created(body)
  }
}
