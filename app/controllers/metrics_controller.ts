import { timingSafeEqual } from 'node:crypto'
import type { HttpContext } from '@adonisjs/core/http'
import env from '#start/env'
import { collectGauges, registry } from '#infrastructure/metrics'

const LOOPBACK = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1'])

/**
 * GET /metrics: the Prometheus text format. With METRICS_TOKEN set, only a matching bearer
 * token; without it, only loopback clients (the socket's address, never a forwarded header).
 */
export default class MetricsController {
  async show({ request, response }: HttpContext) {
    if (!allowed(request)) {
      return response.status(401).header('WWW-Authenticate', 'Bearer').send('unauthorized\n')
    }
    await collectGauges()
    response.header('Content-Type', registry.contentType)
    return response.send(await registry.metrics())
  }
}

function allowed(request: HttpContext['request']) {
  const expected = env.get('METRICS_TOKEN')
  if (!expected) return LOOPBACK.has(request.request.socket.remoteAddress ?? '')
  const header = request.header('authorization') ?? ''
  const given = header.startsWith('Bearer ') ? header.slice(7) : ''
  const a = Buffer.from(given)
  const b = Buffer.from(expected)
  return a.length === b.length && timingSafeEqual(a, b)
}
