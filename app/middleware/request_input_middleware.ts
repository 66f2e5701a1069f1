import { inject } from '@adonisjs/core'
import type { HttpContext } from '@adonisjs/core/http'
import type { NextFn } from '@adonisjs/core/types/http'
import BodyParserMiddleware from '@adonisjs/core/bodyparser_middleware'
import Problem from '#exceptions/problem'
import { unstorableField } from '#validators/storable_text'

const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE'])

/** The body parser's refusals that already carry the right status. */
const KEPT_STATUSES = new Set([413, 415])

/**
 * The one place that decides whether a request's input can reach a controller, in place of the
 * plain body parser. Whatever is refused here is a 4xx and has changed nothing:
 * - the agent API takes JSON objects only: another content type is 415, an array or a scalar
 *   is 400 (both used to be read as `{}`, so a claim lost its filters);
 * - a body that cannot be read (broken gzip, bad JSON) is 400, never 500;
 * - a string with NUL or an unpaired surrogate anywhere in the query string, body or route
 *   parameters is 422 naming the field. Signed webhooks are let through: GitHub will not send
 *   them differently, so the receiver stores them with those characters replaced.
 */
@inject()
export default class RequestInputMiddleware {
  constructor(private parser: BodyParserMiddleware) {}

  async handle(ctx: HttpContext, next: NextFn) {
    const { request } = ctx
    const api = request.url().startsWith('/api/')
    const hasBody = BODY_METHODS.has(request.method()) && carriesBody(ctx)
    if (api && hasBody && !request.is(['json', '+json'])) {
      throw new Problem(
        415,
        'Unsupported Media Type',
        'The agent API reads JSON bodies only: send Content-Type: application/json.'
      )
    }

    let parsed = false
    try {
      await this.parser.handle(ctx, async () => {
        parsed = true
        return this.#inspect(ctx, next, { api, hasBody })
      })
    } catch (error) {
      if (parsed) throw error
      throw unreadableBody(error)
    }
  }

  #inspect(ctx: HttpContext, next: NextFn, request: { api: boolean; hasBody: boolean }) {
    const body: unknown = ctx.request.body()
    if (request.api && request.hasBody && !isPlainObject(body)) {
      throw new Problem(400, 'Bad Request', 'The body must be a JSON object.')
    }
    if (ctx.request.url().startsWith('/webhooks/')) return next()

    const field =
      unstorableField(ctx.request.qs()) ??
      unstorableField(ctx.params ?? {}) ??
      (ctx.request.bodyType === 'raw' ? null : unstorableField(body))
    if (field === null) return next()
    const message = `The ${field} field must not contain NUL characters or unpaired surrogates.`
    throw new Problem(422, 'Unprocessable Content', 'The request has invalid fields.', {}, [
      { field, message, rule: 'storableText' },
    ])
  }
}

function carriesBody({ request }: HttpContext) {
  const length = request.header('content-length')
  return request.header('transfer-encoding') !== undefined || (!!length && length !== '0')
}

function isPlainObject(value: unknown) {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
}

function unreadableBody(error: unknown) {
  const status = (error as { status?: unknown }).status
  if (typeof status === 'number' && KEPT_STATUSES.has(status)) return error
  const encoding = (error as { code?: string }).code?.startsWith('Z_')
  return new Problem(
    400,
    'Bad Request',
    encoding
      ? 'The body could not be decoded with its Content-Encoding.'
      : 'The body could not be read: it is not valid for its Content-Type.'
  )
}
