import type { HttpContext } from '@adonisjs/core/http'
import Run from '#models/run'
import agentApi from '#transformers/agent_api_serializer'
import RunTransformer from '#transformers/run_transformer'
import { heartbeatValidator } from '#validators/run'

/** POST /api/v1/runs/:id/heartbeat: extends the lease and tells the agent whether to stop. */
export default class RunHeartbeatsController {
  async store({ params, request, auth }: HttpContext) {
    const run = await Run.findForAgentOrFail(auth.use('api').getUserOrFail(), params.id)
    const { progress } = await request.validateUsing(heartbeatValidator)
    await run.heartbeat(progress)
    return agentApi.serialize(RunTransformer.transform(run).useVariant('lease'))
  }
}
