import type { HttpContext } from '@adonisjs/core/http'
import type { NextFn } from '@adonisjs/core/types/http'

/**
 * Authenticates an agent by its bearer token (401 when unknown, revoked or expired) and keeps
 * its last_seen_at fresh. `ctx.auth.use('api').user` is the agent afterwards. A disabled agent
 * is refused where it would start something (a claim is 403), not here: its runs in flight
 * still heartbeat, log and report their result.
 */
export default class AgentAuthMiddleware {
  async handle(ctx: HttpContext, next: NextFn) {
    const agent = await ctx.auth.use('api').authenticate()
    await agent.markSeen()
    return next()
  }
}
