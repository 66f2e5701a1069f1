import { CLAIMABLE_CHANNEL } from '#infrastructure/claimable'
import PostgresListener from '#infrastructure/postgres_listener'

type Waiter = { after: number; wake: () => void }

/**
 * The process's one LISTEN connection on `gatehouse_claimable`, shared by every long-polling
 * claim. Each announcement bumps a generation counter; a claimer notes the generation before
 * it looks, and waits for a later one, so an announcement made while it was looking is not
 * lost. After a reconnect every waiter wakes, since announcements may have been missed.
 */
export class ClaimNotifier {
  #generation = 0
  #waiters = new Set<Waiter>()
  #listener = new PostgresListener(CLAIMABLE_CHANNEL, {
    onNotification: () => this.#announce(),
    onReconnect: () => this.#announce(),
  })

  /** The current generation; pass it to `waitAfter` once a look found nothing. */
  get generation() {
    return this.#generation
  }

  /** Starts listening (once per process); resolves when LISTEN is in place. */
  async listen() {
    return this.#listener.listen()
  }

  /**
   * Resolves true when an announcement after `generation` arrives, false after `timeoutMs`.
   * An aborted signal resolves false at once (the client went away).
   */
  waitAfter(generation: number, timeoutMs: number, signal?: AbortSignal): Promise<boolean> {
    if (this.#generation > generation) return Promise.resolve(true)
    if (timeoutMs <= 0 || signal?.aborted) return Promise.resolve(false)
    return new Promise((resolve) => {
      const finish = (woken: boolean) => {
        clearTimeout(timer)
        signal?.removeEventListener('abort', onAbort)
        this.#waiters.delete(waiter)
        resolve(woken)
      }
      const onAbort = () => finish(false)
      const waiter: Waiter = { after: generation, wake: () => finish(true) }
      const timer = setTimeout(() => finish(false), timeoutMs)
      signal?.addEventListener('abort', onAbort, { once: true })
      this.#waiters.add(waiter)
    })
  }

  async close() {
    const closing = this.#listener.close()
    for (const waiter of [...this.#waiters]) waiter.wake()
    await closing
  }

  #announce() {
    this.#generation++
    for (const waiter of [...this.#waiters]) {
      if (this.#generation > waiter.after) waiter.wake()
    }
  }
}

/** The process-wide notifier; closed by the claim notifier provider on shutdown. */
const claimNotifier = new ClaimNotifier()
export default claimNotifier
