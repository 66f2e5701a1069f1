import type { HttpContext } from '@adonisjs/core/http'
import type { NextFn } from '@adonisjs/core/types/http'
import Inbox from '#presenters/inbox'

/**
 * The admin pages' gate: a signed-in, active user, or a redirect to /login that remembers
 * the page asked for. A user deactivated mid-session is signed out on their next request.
 */
export default class AuthMiddleware {
  redirectTo = '/login'

  async handle(ctx: HttpContext, next: NextFn) {
    if (!(await ctx.auth.check())) {
      // Only a page is worth returning to: signing in must not land on a live log's event stream.
      if (ctx.request.method() === 'GET' && ctx.request.accepts(['html']))
        ctx.session.setIntendedUrl(ctx.request.url(true))
      return ctx.response.redirect(this.redirectTo)
    }
    if (!ctx.auth.use('web').getUserOrFail().isActive) {
      await ctx.auth.use('web').logout()
      ctx.session.flash('error', 'Your account is deactivated.')
      return ctx.response.redirect(this.redirectTo)
    }
    // The navigation's Inbox count, queried only when a page renders the layout.
    if ('view' in ctx) ctx.view.share({ inboxCount: () => Inbox.count() })
    return next()
  }
}
