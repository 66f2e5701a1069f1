import type { HttpContext } from '@adonisjs/core/http'
import type { NextFn } from '@adonisjs/core/types/http'
import Problem from '#exceptions/problem'
import Quotas from '#services/quotas'

/**
 * Authenticates an agent by its bearer token (401 when unknown, revoked or expired) and
 * refuses a disabled agent (403); keeps its last_seen_at fresh. `ctx.auth.use('api').user`
 * is the agent afterwards.
 */
export default class AgentAuthMiddleware {
  async handle(ctx: HttpContext, next: NextFn) {
    const agent = await ctx.auth.use('api').authenticate()
    if (!agent.enabled) {
      throw new Problem(403, 'Forbidden', `Agent "${agent.key}" is disabled.`)
    }
    await Quotas.agentRequest(String(agent.currentAccessToken.identifier))
    await agent.markSeen()
    return next()
  }
}
