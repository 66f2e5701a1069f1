/**
 * Errors that mean "Postgres is not reachable right now" (stopped, restarting, failing over,
 * the pool timing out while it is away), as opposed to a bad query. During an outage they are
 * answered 503 and retried, never allowed to end the process.
 */
const CONNECTION_LOSS_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  '57P01', // admin_shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now
  '08000', // connection_exception
  '08001', // sqlclient_unable_to_establish_sqlconnection
  '08003', // connection_does_not_exist
  '08006', // connection_failure
])

const CONNECTION_LOSS_MESSAGES = [
  'Connection terminated',
  'Timeout acquiring a connection',
  'Client has encountered a connection error',
  'Connection ended unexpectedly',
  // graphile-worker retries a job's completion write with backoff; one that comes after a stop
  // closed its pool finds it ended (the stop already gave the job's lock back).
  'Cannot use a pool after calling end on the pool',
]

export function isConnectionLoss(error: unknown): boolean {
  if (!error || typeof error !== 'object') return false
  const { code, message, errors, cause } = error as {
    code?: unknown
    message?: unknown
    errors?: unknown
    cause?: unknown
  }
  if (typeof code === 'string' && CONNECTION_LOSS_CODES.has(code)) return true
  if (typeof message === 'string' && CONNECTION_LOSS_MESSAGES.some((m) => message.includes(m))) {
    return true
  }
  // AggregateError (a host with several addresses) and wrapped errors.
  if (Array.isArray(errors) && errors.some(isConnectionLoss)) return true
  return cause !== undefined && cause !== error && isConnectionLoss(cause)
}

/** The codes above, as graphile-worker's retry table expects them. */
export const connectionLossCodes = [...CONNECTION_LOSS_CODES]

/**
 * A connection that Postgres drops while idle surfaces as an `error` event or a rejection that
 * nobody awaits (graphile-worker's internals, a pool's idle client). During an outage those
 * must not end the process: they are logged and the pools reconnect on next use. Anything
 * else keeps Node's default: the process ends.
 */
export function surviveConnectionLoss(log: (error: unknown) => void) {
  const onError = (error: unknown) => {
    if (isConnectionLoss(error)) return log(error)
    process.removeListener('uncaughtException', onError)
    process.removeListener('unhandledRejection', onError)
    // Re-thrown outside this handler: Node reports it and exits as it would have.
    setImmediate(() => {
      throw error
    })
  }
  process.on('uncaughtException', onError)
  process.on('unhandledRejection', onError)
}
