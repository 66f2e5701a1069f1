import type { HttpContext } from '@adonisjs/core/http'
import Run from '#models/run'
import RunLogStream from '#services/runs/run_log_stream'
import { runLogPageValidator } from '#validators/run'
import shutdown from '#infrastructure/shutdown'

/**
 * GET /runs/:id/logs/stream: the run's log as Server-Sent Events, followed live until the run
 * ends. Resumes after `Last-Event-ID` (EventSource's reconnect) or `?after=<seq>`.
 */
export default class RunLogStreamsController {
  async show({ params, request, response }: HttpContext) {
    const run = await Run.findOrFail(params.id)
    const { after } = await request.validateUsing(runLogPageValidator, {
      data: { after: request.header('last-event-id') ?? request.qs().after },
    })
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
    // A stop ends live streams at once (EventSource reconnects), so the server can close.
    await RunLogStream.pipe(
      run.id,
      after ?? 0,
      (chunk) => stream.write(chunk),
      AbortSignal.any([hangUp.signal, shutdown.signal])
    )
    stream.end()
  }
}
