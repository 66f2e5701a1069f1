import { Exception } from '@adonisjs/core/exceptions'

export type FieldError = { field: string; message: string; rule: string }

/**
 * An RFC 9457 problem for the JSON APIs: thrown anywhere, rendered by the exception handler
 * as `application/problem+json`. `headers` carries e.g. Retry-After for 429/503; `extensions`
 * are further members of the document (a `type` URI, `next_seq`, `code`…).
 */
export default class Problem extends Exception {
  constructor(
    readonly status: number,
    readonly title: string,
    readonly detail?: string,
    readonly headers: Record<string, string> = {},
    readonly errors?: FieldError[],
    readonly extensions: Record<string, unknown> = {}
  ) {
    super(detail ?? title, { status })
  }
}
