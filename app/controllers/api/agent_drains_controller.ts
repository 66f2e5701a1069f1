import type { HttpContext } from '@adonisjs/core/http'

/**
 * POST /api/v1/agent/drain: the agent finishes what it runs and claims nothing new (claims are
 * 409 `draining`); DELETE ends the drain. Both answer the drain's state.
 */
export default class AgentDrainsController {
  async store({ auth, request }: HttpContext) {
    const agent = auth.use('api').getUserOrFail()
    await agent.drain(agent, { ip: request.ip() })
    return drainState(agent)
  }

  async destroy({ auth, request }: HttpContext) {
    const agent = auth.use('api').getUserOrFail()
    await agent.endDrain(agent, { ip: request.ip() })
    return drainState(agent)
  }
}

function drainState(agent: {
  key: string
  isDraining: boolean
  drainingSince: { toUTC(): { toISO(): string | null } } | null
}) {
  return {
    agent: agent.key,
    draining: agent.isDraining,
    draining_since: agent.drainingSince?.toUTC().toISO() ?? null,
  }
}
