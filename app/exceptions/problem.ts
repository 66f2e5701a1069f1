import { Exception } from '@adonisjs/core/exceptions'

export type FieldError = { field: string; message: string; rule: string }

/**
 * An RFC 9457 problem for the JSON APIs: thrown anywhere, rendered by the exception handler
 * as `application/problem+json`. `headers` carries e.g. Retry-After for 429/503.
 */
export default class Problem extends Exception {
  constructor(
    readonly status: number,
    readonly title: string,
    readonly detail?: string,
    readonly headers: Record<string, string> = {},
    readonly errors?: FieldError[]
  ) {
    super(detail ?? title, { status })
  }
}
