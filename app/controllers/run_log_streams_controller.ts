import type { ServerResponse } from 'node:http'
import type { HttpContext } from '@adonisjs/core/http'
import Run from '#models/run'
import RunLogStream from '#services/runs/run_log_stream'
import { runLogPageValidator } from '#validators/run'
import Problem from '#exceptions/problem'
import { OpenConnections, QUOTAS } from '#services/quotas'
import shutdown from '#infrastructure/shutdown'

const liveLogStreams = new OpenConnections()

/**
 * GET /runs/:id/logs/stream: the run's log as Server-Sent Events, followed live until the run
 * ends. Resumes after `Last-Event-ID` (EventSource's reconnect) or `?after=<seq>`.
 */
export default class RunLogStreamsController {
  async show({ params, request, response, auth }: HttpContext) {
    const run = await Run.findOrFail(params.id)
    const { after } = await request.validateUsing(runLogPageValidator, {
      data: { after: request.header('last-event-id') ?? request.qs().after },
    })
    // A viewer holds at most a few live streams: each one is a connection and a follower.
    const viewer = auth.use('web').getUserOrFail()
    const release = liveLogStreams.enter(viewer.id, QUOTAS.liveLogStreamsPerUser)
    if (!release) {
      throw new Problem(
        429,
        'Too Many Requests',
        `At most ${QUOTAS.liveLogStreamsPerUser} live logs open at once: close another tab first.`,
        { 'Retry-After': '5' }
      )
    }
    const stream = response.response
    response
      .header('Content-Type', 'text/event-stream; charset=utf-8')
      .header('Cache-Control', 'no-cache, no-transform')
      .header('X-Accel-Buffering', 'no')
    response.relayHeaders()
    stream.writeHead(200)
    stream.flushHeaders()

    const hangUp = new AbortController()
    stream.once('close', () => hangUp.abort())
    try {
      // A stop ends live streams at once (EventSource reconnects), so the server can close.
      await RunLogStream.pipe(
        run.id,
        after ?? 0,
        (chunk) => writeOrWaitForDrain(stream, chunk),
        AbortSignal.any([hangUp.signal, shutdown.signal])
      )
    } finally {
      release()
    }
    stream.end()
  }
}

/**
 * A viewer that reads slower than the run writes must not pile batches up in the server's
 * memory (200 viewers took the server to 1.1 GB): past the socket's buffer, the stream waits
 * for it to drain before reading on.
 */
function writeOrWaitForDrain(stream: ServerResponse, chunk: string) {
  if (stream.write(chunk)) return
  return new Promise<void>((resolve) => {
    const done = () => {
      stream.off('drain', done)
      stream.off('close', done)
      resolve()
    }
    stream.on('drain', done)
    stream.on('close', done)
  })
}
