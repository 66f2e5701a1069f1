import type { HttpContext } from '@adonisjs/core/http'
import type { NextFn } from '@adonisjs/core/types/http'
import Run from '#models/run'

/**
 * `Gatehouse-Run-State: running | cancel_requested | finished` on every answer about an
 * agent's run, errors included, read after the call did its work: the agent learns of a
 * cancel from whichever call it makes next, not only from its heartbeat.
 */
export default class RunStateMiddleware {
  async handle(ctx: HttpContext, next: NextFn) {
    try {
      await next()
    } finally {
      // Unless the call read the state in its own work (a log batch's update): no second read.
      if (ctx.response.getHeader('Gatehouse-Run-State') === undefined) {
        const agent = ctx.auth.use('api').user
        const state = agent ? await Run.currentState(agent.id, ctx.params.id) : null
        if (state) ctx.response.header('Gatehouse-Run-State', state)
      }
    }
  }
}
