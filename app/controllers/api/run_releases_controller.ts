import type { HttpContext } from '@adonisjs/core/http'
import Run from '#models/run'
import agentApi from '#transformers/agent_api_serializer'
import RunTransformer from '#transformers/run_transformer'
import WorkItemTransformer from '#transformers/work_item_transformer'
import RunLifecycle from '#services/runs/run_lifecycle'
import { runReleaseValidator } from '#validators/run'

/** POST /api/v1/runs/:id/release: the agent gives the item back unworked. */
export default class RunReleasesController {
  async store({ params, request, auth }: HttpContext) {
    const agent = auth.use('api').getUserOrFail()
    const run = await Run.findForAgentOrFail(agent, params.id)
    const { reason } = await request.validateUsing(runReleaseValidator)
    const settled = await RunLifecycle.release(run, agent, reason)
    return agentApi.serialize({
      run: RunTransformer.transform(settled.run),
      work_item: WorkItemTransformer.transform(settled.workItem).useVariant('state'),
    })
  }
}
