import type { HttpContext } from '@adonisjs/core/http'
import type { NextFn } from '@adonisjs/core/types/http'
import { httpDuration, secondsSince } from '#infrastructure/metrics'

/** Observes each routed request's duration under its route pattern (never the raw URL). */
export default class HttpMetricsMiddleware {
  async handle(ctx: HttpContext, next: NextFn) {
    const start = process.hrtime.bigint()
    try {
      return await next()
    } finally {
      httpDuration.observe(
        {
          route: ctx.route?.pattern ?? 'unmatched',
          method: ctx.request.method(),
          status: `${Math.floor(ctx.response.getStatus() / 100)}xx`,
        },
        secondsSince(start)
      )
    }
  }
}
