import type { HttpContext } from '@adonisjs/core/http'
import Run from '#models/run'
import agentApi from '#transformers/agent_api_serializer'
import RunTransformer from '#transformers/run_transformer'

/** GET /api/v1/runs/:id: the agent's own run, with its gate verdicts and whether to stop. */
export default class RunsController {
  async show({ params, auth }: HttpContext) {
    const run = await Run.findForAgentOrFail(auth.use('api').getUserOrFail(), params.id)
    return agentApi.serialize(RunTransformer.transform(run))
  }
}
