import { inject } from '@adonisjs/core'
import type { HttpContext } from '@adonisjs/core/http'
import type { NextFn } from '@adonisjs/core/types/http'
import SessionMiddleware from '@adonisjs/session/session_middleware'
import ShieldMiddleware from '@adonisjs/shield/shield_middleware'

/** Callers here authenticate with a token or a signature, never with a browser's cookie. */
const COOKIELESS_PREFIXES = ['/api/v1/', '/webhooks/']

/**
 * The session and Shield (CSRF, nonce CSP) for browser routes only. On the agent API and the
 * webhooks they did nothing useful and cost a session read and a session row written per
 * request (no cookie comes back, so every call made a new session); the security headers of
 * every response come from SecurityHeadersMiddleware.
 */
@inject()
export default class BrowserSessionMiddleware {
  constructor(
    private session: SessionMiddleware<any>,
    private shield: ShieldMiddleware
  ) {}

  handle(ctx: HttpContext, next: NextFn) {
    const url = ctx.request.url()
    if (COOKIELESS_PREFIXES.some((prefix) => url.startsWith(prefix))) return next()
    return this.session.handle(ctx, () => this.shield.handle(ctx, next))
  }
}
