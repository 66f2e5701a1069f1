import type { HttpContext } from '@adonisjs/core/http'
import Run from '#models/run'
import RunLifecycle from '#services/runs/run_lifecycle'
import { runQuestionValidator } from '#validators/run'
import agentApi from '#transformers/agent_api_serializer'
import RunTransformer from '#transformers/run_transformer'
import WorkItemTransformer from '#transformers/work_item_transformer'
import QuestionTransformer from '#transformers/question_transformer'

/** POST /api/v1/runs/:id/questions: the agent asks a person; its run ends `needs_input`. */
export default class RunQuestionsController {
  async store({ params, request, response, auth }: HttpContext) {
    const agent = auth.use('api').getUserOrFail()
    const run = await Run.findForAgentOrFail(agent, params.id)
    const asked = await request.validateUsing(runQuestionValidator)
    const settled = await RunLifecycle.ask(run, agent, asked)
    const body = await agentApi.serialize({
      run: RunTransformer.transform(settled.run),
      work_item: WorkItemTransformer.transform(settled.workItem).useVariant('state'),
      question: settled.question ? QuestionTransformer.transform(settled.question) : null,
    })
    // A repeat is answered as the first time was; a run stopped on request asked nothing.
    return settled.repeated || !settled.question ? response.ok(body) : response.created(body)
  }
}
