/** How long a stop may take, whatever is in flight, before the process exits anyway. */
export const STOP_DEADLINE_MS = 10_000

/**
 * The process's stop, begun once by SIGTERM/SIGINT (or a fatal error) and seen by everything
 * that starts, waits or serves: start-up phases bail out, long-polls answer at once, the HTTP
 * server stops keeping connections alive. Parts that must stop register themselves, so that a
 * stop that overruns its deadline names what did not finish and exits non-zero.
 */
export class Shutdown {
  #controller = new AbortController()
  #pending = new Map<string, number>()
  #beforeDeadline: Array<() => void> = []

  get begun() {
    return this.#controller.signal.aborted
  }

  /** Aborted when the stop begins. */
  get signal() {
    return this.#controller.signal
  }

  /**
   * Starts the stop (idempotent) and arms the deadline. Imports nothing of the app: it is
   * loaded before the app exists, so that a signal during boot is seen.
   */
  begin(reason: string, deadlineMs = STOP_DEADLINE_MS) {
    if (this.begun) return
    this.#controller.abort(new Error(reason))
    // Unref'd: a stop that finishes lets the process exit; one that hangs meets the deadline.
    setTimeout(() => this.#overrun(), deadlineMs).unref()
    const lastCall = setTimeout(
      () => this.#beforeDeadline.forEach((action) => action()),
      Math.max(0, deadlineMs - 1500)
    )
    lastCall.unref()
  }

  /** Runs `action` shortly before the deadline (e.g. closing every HTTP connection). */
  beforeDeadline(action: () => void) {
    this.#beforeDeadline.push(action)
  }

  /** Tracks a part of the stop by name until `work` settles; returns its result. */
  async track<T>(name: string, work: () => Promise<T>): Promise<T> {
    this.#pending.set(name, (this.#pending.get(name) ?? 0) + 1)
    try {
      return await work()
    } finally {
      const left = (this.#pending.get(name) ?? 1) - 1
      if (left > 0) this.#pending.set(name, left)
      else this.#pending.delete(name)
    }
  }

  /** Throws when a stop has begun: start-up phases call it between their steps. */
  throwIfBegun(phase: string) {
    if (this.begun) throw new StartCancelled(phase)
  }

  #overrun() {
    const parts = [...this.#pending.keys()]
    const names = parts.length ? parts.join(', ') : 'open handles'
    process.stderr.write(`stop did not finish within ${STOP_DEADLINE_MS / 1000} s: ${names}\n`)
    process.exit(1)
  }
}

/** A start-up that met a stop: not an error, the process just exits. */
export class StartCancelled extends Error {
  constructor(phase: string) {
    super(`start-up cancelled by a stop (during ${phase})`)
  }
}

const shutdown = new Shutdown()
export default shutdown
