import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

export type ReceivedRequest = { headers: IncomingHttpHeaders; body: string; at: number }

/**
 * A local HTTP receiver for notification deliveries: records every request, answers each with
 * the next status of `answers` (then 200), or never answers while `hang` is set.
 */
export async function startReceiver(options: { answers?: number[]; hang?: boolean } = {}) {
  const answers = [...(options.answers ?? [])]
  const received: ReceivedRequest[] = []
  const hanging = new Set<ServerResponse>()
  const waiters: (() => void)[] = []
  const server = createServer((request, response) => {
    const chunks: Buffer[] = []
    request.on('data', (chunk) => chunks.push(chunk))
    request.on('end', () => {
      received.push({
        headers: request.headers,
        body: Buffer.concat(chunks).toString('utf8'),
        at: Date.now(),
      })
      waiters.splice(0).forEach((wake) => wake())
      if (receiver.hang) {
        hanging.add(response)
        return
      }
      const status = answers.shift() ?? 200
      response.writeHead(status, { 'content-type': 'text/plain' }).end(status < 300 ? 'ok' : 'nope')
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const receiver = {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    received,
    hang: options.hang ?? false,
    /** Resolves once `count` requests have arrived (or rejects after `timeoutMs`). */
    async waitFor(count: number, timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs
      while (received.length < count) {
        if (Date.now() > deadline)
          throw new Error(`receiver got ${received.length} of ${count} requests`)
        await new Promise<void>((resolve) => {
          waiters.push(resolve)
          setTimeout(resolve, 100)
        })
      }
      return received
    },
    async close() {
      hanging.forEach((response) => response.destroy())
      server.closeAllConnections()
      await new Promise((resolve) => server.close(resolve))
    },
  }
  return receiver
}
