import { BaseTransformer } from '@adonisjs/core/transformers'

/**
 * The framework's transformer base, except that `transform` and `paginate` capture no stack
 * trace. The framework builds an exception on every call, for the rare "cannot transform
 * undefined" error, and captures the stack twice in doing so: about 4 % of the server's CPU
 * on the claim path. That error still says what went wrong; it no longer says where
 * `transform` was called.
 */
export default abstract class UntracedTransformer<Resource> extends BaseTransformer<Resource> {}

for (const method of ['transform', 'paginate'] as const) {
  const traced = BaseTransformer[method] as (...args: unknown[]) => unknown
  Object.defineProperty(UntracedTransformer, method, {
    value(this: unknown, ...args: unknown[]) {
      const limit = Error.stackTraceLimit
      Error.stackTraceLimit = 0
      try {
        return traced.apply(this, args)
      } finally {
        Error.stackTraceLimit = limit
      }
    },
  })
}
