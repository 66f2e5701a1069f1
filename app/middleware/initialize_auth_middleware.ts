import type { HttpContext } from '@adonisjs/core/http'
import type { NextFn } from '@adonisjs/core/types/http'
import { servesBrowser } from '#middleware/browser_session_middleware'
// `ctx.auth`'s type comes with the package's own middleware.
import type {} from '@adonisjs/auth/initialize_auth_middleware'

/**
 * The request's authenticator, as @adonisjs/auth's own middleware makes it, shared with Edge
 * only on browser routes: sharing builds the request's Edge renderer, which an agent API call
 * never uses (about 3 % of the server's CPU in the claims bench, with the Bouncer's share).
 */
export default class InitializeAuthMiddleware {
  async handle(ctx: HttpContext, next: NextFn) {
    const manager = await ctx.containerResolver.make('auth.manager')
    ctx.auth = manager.createAuthenticator(ctx)
    if (servesBrowser(ctx)) ctx.view.share({ auth: ctx.auth })
    return next()
  }
}
