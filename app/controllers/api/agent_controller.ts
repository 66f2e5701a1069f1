import type { HttpContext } from '@adonisjs/core/http'
import Run from '#models/run'
import agentApi from '#transformers/agent_api_serializer'
import AgentTransformer from '#transformers/agent_transformer'
import RunTransformer from '#transformers/run_transformer'

/** GET /api/v1/agent (spec §5): who the token belongs to, its limits and what it is running. */
export default class AgentController {
  async show({ auth }: HttpContext) {
    const agent = auth.use('api').getUserOrFail()
    const running = await Run.query()
      .where('agentId', agent.id)
      .where('status', 'running')
      .preload('workItem')
      .orderBy('id')

    const load = await agent.currentLoad()

    return agentApi.serialize({
      agent: AgentTransformer.transform(agent),
      limits: {
        max_concurrency: load.maxConcurrency,
        running: load.running,
        available: load.freeSlots,
      },
      running_runs: RunTransformer.transform(running).useVariant('running'),
    })
  }
}
