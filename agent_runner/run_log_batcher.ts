import type GatehouseApi from '#agent_runner/gatehouse_api'
import type { LogLine } from '#agent_runner/gatehouse_api'

/** Well under the API's 1,000 lines / 1 MiB per request (spec §5). */
const MAX_BATCH_LINES = 1000
const MAX_BATCH_BYTES = 512 * 1024
/** Lines waiting that trigger a send before the timer does. */
const SEND_AT_LINES = 200

/**
 * One run's output lines, sent in the order they were printed: batches go one at a time, on
 * a timer or when enough lines wait. Stops sending once the server says the run's logs are
 * closed (409); a batch the server cannot take after retries is reported and dropped.
 */
export default class RunLogBatcher {
  #pending: LogLine[] = []
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
        const batch = this.#takeBatch()
        try {
          if (!(await this.api.appendLogs(this.runId, batch))) this.#closed = true
        } catch (error) {
          this.onLost(batch.length, error as Error)
        }
      }
    })
    return this.#sending
  }

  /** Sends what is left; later lines are ignored. */
  async close() {
    clearInterval(this.#timer)
    await this.flush()
    this.#closed = true
  }

  #takeBatch() {
    let bytes = 0
    let count = 0
    while (count < this.#pending.length && count < MAX_BATCH_LINES) {
      bytes += Buffer.byteLength(JSON.stringify(this.#pending[count])) + 1
      if (bytes > MAX_BATCH_BYTES && count > 0) break
      count++
    }
    return this.#pending.splice(0, count)
  }
}
