import type { HttpContext } from '@adonisjs/core/http'
import type { NextFn } from '@adonisjs/core/types/http'
import app from '@adonisjs/core/services/app'

/**
 * Headers every response carries, set before anything else runs: Shield's router middleware
 * never sees 404s or static files. Routed pages replace this CSP with Shield's (with nonces).
 */
const HEADERS: Record<string, string> = {
  'Content-Security-Policy': `default-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'`,
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'same-origin',
  ...(app.inProduction ? { 'Strict-Transport-Security': 'max-age=15552000' } : {}),
}

export default class SecurityHeadersMiddleware {
  handle({ response }: HttpContext, next: NextFn) {
    for (const [name, value] of Object.entries(HEADERS)) response.header(name, value)
    return next()
  }
}
