import { Bouncer } from '@adonisjs/bouncer'
import type { HttpContext } from '@adonisjs/core/http'
import type { NextFn } from '@adonisjs/core/types/http'
import { policies } from '#generated/policies'
import type User from '#models/user'
import { servesBrowser } from '#middleware/browser_session_middleware'

/** A Bouncer for the signed-in user of this request, shared with Edge for `@can` (browser routes). */
export default class InitializeBouncerMiddleware {
  async handle(ctx: HttpContext, next: NextFn) {
    ctx.bouncer = new Bouncer(
      () => ctx.auth.use('web').user || null,
      {},
      policies
    ).setContainerResolver(ctx.containerResolver)
    if (servesBrowser(ctx)) ctx.view.share(ctx.bouncer.edgeHelpers)
    return next()
  }
}

declare module '@adonisjs/core/http' {
  export interface HttpContext {
    bouncer: Bouncer<User, {}, typeof policies>
  }
}
