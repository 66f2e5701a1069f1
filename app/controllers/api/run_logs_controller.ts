import type { HttpContext } from '@adonisjs/core/http'
import { DateTime } from 'luxon'
import Run, { runStateOf } from '#models/run'
import Problem from '#exceptions/problem'
import { MAX_LOG_BYTES, MAX_LOG_LINES, runLogsValidator } from '#validators/run'

/** POST /api/v1/runs/:id/logs: a batch of log lines, numbered by the server. */
export default class RunLogsController {
  async store({ params, request, response, auth }: HttpContext) {
    const run = await Run.findForAgentOrFail(auth.use('api').getUserOrFail(), params.id)
    refuseOversizedBatch(request.input('lines'))
    const { lines, first_seq: firstSeq } = await request.validateUsing(runLogsValidator)
    const logLines = lines.map((line) => ({
      level: line.level,
      message: line.message,
      stream: line.stream ?? null,
      data: line.data ?? null,
      loggedAt: line.logged_at ? DateTime.fromJSDate(line.logged_at) : null,
    }))
    // With `first_seq` the client numbers its lines and a batch sent twice is stored once.
    const { accepted, lastSeq } =
      firstSeq === undefined
        ? await run.appendLogs(logLines)
        : await run.appendLogsFrom(firstSeq, logLines)
    // The append read the run's state as it numbered the batch: RunStateMiddleware needs no read.
    const runState = runStateOf(run)
    response.header('Gatehouse-Run-State', runState)
    const answer = { accepted, last_seq: lastSeq, run_state: runState }
    if (firstSeq !== undefined && accepted === 0) return response.ok(answer)
    return response.accepted(answer)
  }
}

/** Too much in one request is 413 (send smaller batches), not a validation error. */
function refuseOversizedBatch(lines: unknown) {
  if (!Array.isArray(lines)) return
  if (lines.length > MAX_LOG_LINES) {
    throw new Problem(
      413,
      'Content Too Large',
      `At most ${MAX_LOG_LINES} lines per request; got ${lines.length}.`
    )
  }
  const bytes = Buffer.byteLength(JSON.stringify(lines))
  if (bytes > MAX_LOG_BYTES) {
    throw new Problem(
      413,
      'Content Too Large',
      `At most ${MAX_LOG_BYTES} bytes of lines per request; got ${bytes}.`
    )
  }
}
