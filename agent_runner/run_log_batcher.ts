import type GatehouseApi from '#agent_runner/gatehouse_api'
import type { LogLine } from '#agent_runner/gatehouse_api'

/** Well under the API's 1,000 lines / 1 MiB per request (spec §5). */
const MAX_BATCH_LINES = 1000
const MAX_BATCH_BYTES = 512 * 1024
/** Lines waiting that trigger a send before the timer does. */
const SEND_AT_LINES = 200

/**
 * One run's output lines, numbered from 1 as they were printed and sent in that order, one
 * batch at a time, on a timer or when enough lines wait. Each batch carries the number of its
 * first line (`first_seq`), so a batch whose answer was lost is sent again without being
 * stored twice, and a line leaves the buffer only once the server has acknowledged it. A 409
 * with `next_seq` resumes from there; a 409 without one means the run's logs are closed.
 * Lines the server cannot take after retries stay buffered for the next flush; what is still
 * unsent at `close()` is reported lost.
 */
export default class RunLogBatcher {
  /** Lines not yet acknowledged, the first numbered `#firstSeq`. */
  #pending: LogLine[] = []
  #firstSeq = 1
  #sending: Promise<void> = Promise.resolve()
  #closed = false
  #timer: NodeJS.Timeout

  constructor(
    readonly api: GatehouseApi,
    readonly runId: number,
    readonly onLost: (lines: number, error: Error) => void,
    flushMs = 500
  ) {
    this.#timer = setInterval(() => void this.flush(), flushMs)
  }

  push(line: LogLine) {
    if (this.#closed) return
    this.#pending.push(line)
    if (this.#pending.length === SEND_AT_LINES) void this.flush()
  }

  flush() {
    this.#sending = this.#sending.then(async () => {
      while (this.#pending.length > 0 && !this.#closed) {
        const batch = this.#nextBatch()
        let answer
        try {
          answer = await this.api.appendLogs(this.runId, this.#firstSeq, batch)
        } catch (error) {
          // Kept for the next flush: the server may take them once it is back.
          this.#lastError = error as Error
          return
        }
        if (answer.kind === 'closed') {
          this.#closed = true
        } else if (answer.kind === 'stored') {
          this.#acknowledge(answer.lastSeq + 1)
        } else if (answer.nextSeq <= this.#firstSeq) {
          // The server lacks lines this agent no longer holds (it restarted): renumber.
          this.onLost(this.#firstSeq - answer.nextSeq, new Error('lines the server never got'))
          this.#firstSeq = answer.nextSeq
        } else {
          this.#acknowledge(answer.nextSeq)
        }
      }
    })
    return this.#sending
  }

  /** Sends what is left; later lines are ignored. */
  async close() {
    clearInterval(this.#timer)
    await this.flush()
    if (this.#pending.length > 0 && !this.#closed) {
      this.onLost(this.#pending.length, this.#lastError ?? new Error('not sent'))
    }
    this.#closed = true
  }

  #lastError: Error | null = null

  /** The server holds every line before `nextSeq`. */
  #acknowledge(nextSeq: number) {
    const done = Math.min(this.#pending.length, Math.max(0, nextSeq - this.#firstSeq))
    this.#pending.splice(0, done)
    this.#firstSeq += done
  }

  #nextBatch() {
    let bytes = 0
    let count = 0
    while (count < this.#pending.length && count < MAX_BATCH_LINES) {
      bytes += Buffer.byteLength(JSON.stringify(this.#pending[count])) + 1
      if (bytes > MAX_BATCH_BYTES && count > 0) break
      count++
    }
    return this.#pending.slice(0, count)
  }
}
