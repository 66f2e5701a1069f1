import type { Server, ServerResponse } from 'node:http'
import shutdown from '#infrastructure/shutdown'

/**
 * Lets the HTTP server's close finish: once the stop begins, every response still to be sent
 * (in flight or on a busy keep-alive connection) goes out with `Connection: close`, idle
 * connections are closed at once, and whatever is still open shortly before the deadline is
 * cut. Node's `server.close()` alone waits for busy keep-alive connections, which a client
 * reusing its connection can keep busy forever.
 */
export function drainOnShutdown(server: Server): Server {
  const inFlight = new Set<ServerResponse>()
  server.prependListener('request', (_request, response) => {
    if (shutdown.begun) response.shouldKeepAlive = false
    inFlight.add(response)
    response.once('close', () => inFlight.delete(response))
  })
  const drain = () => {
    for (const response of inFlight) {
      if (!response.headersSent) response.shouldKeepAlive = false
    }
    server.closeIdleConnections()
  }
  if (shutdown.begun) drain()
  else shutdown.signal.addEventListener('abort', drain, { once: true })
  shutdown.beforeDeadline(() => server.closeAllConnections())
  return server
}
