import type { HttpContext } from '@adonisjs/core/http'
import type { NextFn } from '@adonisjs/core/types/http'
import IdempotencyKey, { type KeyOwner } from '#models/idempotency_key'
import Problem from '#exceptions/problem'

/** A client UUID, or any short visible token. */
const KEY_FORMAT = /^[\x21-\x7E]{1,255}$/
/** Headers of an answer that belong to it (the rest is per delivery). */
const KEPT_HEADERS = ['retry-after', 'location', 'gatehouse-run-state']

/**
 * `Idempotency-Key` on the calls that create or finish something (spec issue 15): after the
 * bearer token is known, the first request with a key does the work and a successful answer
 * is stored; the same key from the same token within 24 h gets that answer back (status,
 * body, `Idempotent-Replayed: true`) without the work being done again, and with another
 * method, path or body it is 422. An answer that is not a success did no work: it is not
 * stored, so a retry asks again.
 */
export default class IdempotencyMiddleware {
  async handle(ctx: HttpContext, next: NextFn) {
    const key = ctx.request.header('idempotency-key')
    if (key === undefined) return next()
    if (!KEY_FORMAT.test(key)) {
      throw new Problem(
        400,
        'Bad Request',
        'Idempotency-Key must be 1 to 255 visible ASCII characters (a UUID is best).'
      )
    }
    const fingerprint = IdempotencyKey.fingerprint(
      ctx.request.method(),
      ctx.request.url(),
      ctx.request.body()
    )
    const reservation = await IdempotencyKey.reserve(ownerOf(ctx), key, fingerprint)

    switch (reservation.outcome) {
      case 'mismatch':
        throw new Problem(
          422,
          'Unprocessable Content',
          'This Idempotency-Key was used with another request: a retry must send the same one.',
          {},
          undefined,
          { type: 'https://gatehouse.dev/problems/idempotency-key-reused' }
        )
      case 'busy':
        throw new Problem(
          409,
          'Conflict',
          'The first request with this Idempotency-Key is still being answered.',
          { 'Retry-After': '1' },
          undefined,
          { type: 'https://gatehouse.dev/problems/idempotency-key-in-use' }
        )
      case 'replay': {
        const { statusCode, headers, body } = reservation.answer
        for (const [name, value] of Object.entries(headers)) ctx.response.header(name, value)
        ctx.response.header('Idempotent-Replayed', 'true')
        ctx.response.status(statusCode)
        if (body === null || statusCode === 204) return ctx.response.send('')
        return ctx.response.send(body)
      }
      case 'fresh': {
        try {
          await next()
        } catch (error) {
          await IdempotencyKey.release(reservation.id)
          throw error
        }
        const statusCode = ctx.response.getStatus()
        if (statusCode < 200 || statusCode >= 300) {
          await IdempotencyKey.release(reservation.id)
          return
        }
        const headers: Record<string, string> = {}
        for (const name of KEPT_HEADERS) {
          const value = ctx.response.getHeader(name)
          if (value !== undefined) headers[name] = String(value)
        }
        await IdempotencyKey.store(reservation.id, {
          statusCode,
          headers,
          body: ctx.response.getBody() ?? null,
        })
      }
    }
  }
}

/** Keys belong to the bearer token that sent them. */
function ownerOf(ctx: HttpContext): KeyOwner {
  const agents = ctx.auth.use('api')
  if (agents.isAuthenticated) {
    return { kind: 'agent', tokenId: Number(agents.getUserOrFail().currentAccessToken.identifier) }
  }
  const projects = ctx.auth.use('projects')
  if (projects.isAuthenticated) {
    return {
      kind: 'project',
      tokenId: Number(projects.getUserOrFail().currentAccessToken.identifier),
    }
  }
  throw new Error('Idempotency-Key on a route no bearer token guards')
}
