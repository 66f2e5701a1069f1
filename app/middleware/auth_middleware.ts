import type { HttpContext } from '@adonisjs/core/http'
import type { NextFn } from '@adonisjs/core/types/http'
import Inbox from '#presenters/inbox'

/**
 * The admin pages' gate: a signed-in, active user, or a redirect to /login that remembers
 * the page asked for. A user deactivated mid-session is signed out on their next request.
 */
export default class AuthMiddleware {
  async handle(ctx: HttpContext, next: NextFn) {
    if (!(await ctx.auth.check())) {
      // Only a page is worth returning to: signing in must not land on a live log's event stream.
      if (ctx.request.method() === 'GET' && ctx.request.accepts(['html']))
        ctx.session.setIntendedUrl(ctx.request.url(true))
      return ctx.response.redirect().toRoute('session.create')
    }
    if (!ctx.auth.use('web').getUserOrFail().isActive) {
      await ctx.auth.use('web').logout()
      ctx.session.flash('error', 'Your account is deactivated.')
      return ctx.response.redirect().toRoute('session.create')
    }
    // Signed-in pages (a new token is shown once) are never kept by browsers or proxies.
    ctx.response.header('Cache-Control', 'no-store')
    // The first-boot admin's printed password is changed before anything else.
    const user = ctx.auth.use('web').getUserOrFail()
    if (user.mustChangePassword && !PASSWORD_CHANGE_PATHS.has(ctx.request.url())) {
      ctx.session.flash('error', 'Set your own password first.')
      return ctx.response.redirect().toRoute('account.password.edit')
    }
    // The navigation's Inbox count, queried only when a page renders the layout.
    if ('view' in ctx) ctx.view.share({ inboxCount: () => Inbox.count() })
    return next()
  }
}

const PASSWORD_CHANGE_PATHS = new Set(['/account/password', '/logout'])
