import app from '@adonisjs/core/services/app'
import { errors as vineErrors } from '@vinejs/vine'
import { errors as authErrors } from '@adonisjs/auth'
import { errors as lucidErrors } from '@adonisjs/lucid'
import { errors as bouncerErrors } from '@adonisjs/bouncer'
import { errors as shieldErrors } from '@adonisjs/shield'
import { errors as httpErrors } from '@adonisjs/core/http'
import { type HttpContext, ExceptionHandler } from '@adonisjs/core/http'
import Problem, { type FieldError } from '#exceptions/problem'
import InvalidTransition from '#exceptions/invalid_transition'
import { isConnectionLoss } from '#infrastructure/connection_loss'

/** Seconds a client should wait before retrying while the database is unreachable. */
const OUTAGE_RETRY_AFTER = '5'

/** Agents and GitHub speak JSON: their errors are problem documents, never HTML or stack traces. */
function speaksProblemJson(ctx: HttpContext) {
  const url = ctx.request.url()
  return url.startsWith('/api/') || url.startsWith('/webhooks/')
}

export default class HttpExceptionHandler extends ExceptionHandler {
  protected debug = !app.inProduction

  async handle(error: unknown, ctx: HttpContext) {
    if (speaksProblemJson(ctx)) return this.#renderProblem(this.#toProblem(error), ctx)
    if (isConnectionLoss(error)) {
      return ctx.response
        .status(503)
        .header('Retry-After', OUTAGE_RETRY_AFTER)
        .send(await ctx.view.render('pages/errors/database_unavailable'))
    }
    // A button pressed on a stale page (the item moved on meanwhile): say why, on that page.
    if (error instanceof InvalidTransition) {
      ctx.session.flash('error', error.detail ?? error.message)
      return ctx.response.redirect().back()
    }
    const page = this.#errorPage(error)
    if (page && 'view' in ctx) {
      return ctx.response.status(page.status).send(await ctx.view.render(page.view, page.state))
    }
    return super.handle(error, ctx)
  }

  /**
   * People get pages, not the packages' default redirects or plain text: a form posted with a
   * stale CSRF token is refused outright, so nothing it carried (a secret) is flashed back.
   */
  #errorPage(error: unknown) {
    if (error instanceof bouncerErrors.E_AUTHORIZATION_FAILURE) {
      const status = error.response.status ?? 403
      if (status === 404) return { status, view: 'pages/errors/not_found', state: {} }
      return { status, view: 'pages/errors/forbidden', state: { message: error.response.message } }
    }
    if (error instanceof shieldErrors.E_BAD_CSRF_TOKEN) {
      return {
        status: 403,
        view: 'pages/errors/forbidden',
        state: { message: 'This form has expired. Go back, reload the page and submit it again.' },
      }
    }
    if (
      error instanceof lucidErrors.E_ROW_NOT_FOUND ||
      error instanceof httpErrors.E_ROUTE_NOT_FOUND
    ) {
      return { status: 404, view: 'pages/errors/not_found', state: {} }
    }
    return null
  }

  async report(error: unknown, ctx: HttpContext) {
    return super.report(error, ctx)
  }

  #toProblem(error: unknown): Problem {
    if (error instanceof Problem) return error
    if (isConnectionLoss(error)) {
      return new Problem(
        503,
        'Service Unavailable',
        'The database is unavailable; retry shortly.',
        {
          'Retry-After': OUTAGE_RETRY_AFTER,
        }
      )
    }
    if (error instanceof vineErrors.E_VALIDATION_ERROR) {
      const errors: FieldError[] = (error.messages as any[]).map((message) => ({
        field: message.field,
        message: message.message,
        rule: message.rule,
      }))
      return new Problem(
        422,
        'Unprocessable Content',
        'The request has invalid fields.',
        {},
        errors
      )
    }
    if (error instanceof authErrors.E_UNAUTHORIZED_ACCESS) {
      return new Problem(401, 'Unauthorized', 'A valid agent token is required.', {
        'WWW-Authenticate': 'Bearer',
      })
    }
    if (error instanceof lucidErrors.E_ROW_NOT_FOUND) {
      return new Problem(404, 'Not Found', 'No such resource.')
    }
    const status = (error as { status?: number }).status
    const code = (error as { code?: string }).code
    if (code === 'E_REQUEST_ENTITY_TOO_LARGE' || status === 413) {
      return new Problem(413, 'Content Too Large', 'The request body is too large.')
    }
    if (status === 400) {
      return new Problem(400, 'Bad Request', (error as Error).message)
    }
    if (status && status >= 400 && status < 500) {
      return new Problem(status, (error as Error).message || 'Client error')
    }
    return new Problem(500, 'Internal Server Error', 'Something went wrong on our side.')
  }

  async #renderProblem(problem: Problem, ctx: HttpContext) {
    for (const [name, value] of Object.entries(problem.headers)) ctx.response.header(name, value)
    ctx.response
      .status(problem.status)
      .header('Content-Type', 'application/problem+json; charset=utf-8')
      .send(
        JSON.stringify({
          type: 'about:blank',
          title: problem.title,
          status: problem.status,
          detail: problem.detail,
          ...(problem.errors ? { errors: problem.errors } : {}),
          ...problem.extensions,
        })
      )
  }
}
