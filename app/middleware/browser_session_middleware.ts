import { inject } from '@adonisjs/core'
import app from '@adonisjs/core/services/app'
import type { HttpContext } from '@adonisjs/core/http'
import type { NextFn } from '@adonisjs/core/types/http'
import SessionMiddleware from '@adonisjs/session/session_middleware'
import ShieldMiddleware from '@adonisjs/shield/shield_middleware'

/**
 * Callers here authenticate with a token or a signature (or not at all: health probes), never
 * with a browser's cookie; a session for each of their requests would be a row per probe.
 */
const COOKIELESS_PREFIXES = ['/api/v1/', '/webhooks/', '/metrics', '/health']

/** Whether the request is for a browser: not the agent API or the webhooks. */
export function servesBrowser(ctx: HttpContext) {
  const url = ctx.request.url()
  return !COOKIELESS_PREFIXES.some((prefix) => url.startsWith(prefix))
}

/**
 * One Shield middleware for the process. Its container binding builds a new one per request
 * and `import()`s edge.js each time; under the TypeScript loader hooks that dynamic import's
 * module resolution was a fifth of the server's CPU in the claims bench. Its guards keep no
 * per-request state, so one instance serves every request.
 */
let shield: Promise<ShieldMiddleware> | undefined

/**
 * The session and Shield (CSRF, nonce CSP) for browser routes only. On the agent API and the
 * webhooks they did nothing useful and cost a session read and a session row written per
 * request (no cookie comes back, so every call made a new session); the security headers of
 * every response come from SecurityHeadersMiddleware.
 */
@inject()
export default class BrowserSessionMiddleware {
  constructor(private session: SessionMiddleware<any>) {}

  async handle(ctx: HttpContext, next: NextFn) {
    if (!servesBrowser(ctx)) return next()
    shield ??= app.container.make(ShieldMiddleware)
    const guards = await shield
    return this.session.handle(ctx, () => guards.handle(ctx, next))
  }
}
