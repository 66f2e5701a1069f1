import pg from 'pg'
import logger from '@adonisjs/core/services/logger'
import DatabaseServer from '#services/database_server'
import { CLAIMABLE_CHANNEL } from '#services/claimable'

const RECONNECT_DELAYS_MS = [100, 500, 1000, 2000, 5000]

type Waiter = { after: number; wake: () => void }

/**
 * The process's one LISTEN connection on `gatehouse_claimable`, shared by every long-polling
 * claim. Each announcement bumps a generation counter; a claimer notes the generation before
 * it looks, and waits for a later one, so an announcement made while it was looking is not
 * lost. After a reconnect every waiter wakes, since announcements may have been missed.
 */
export class ClaimNotifier {
  #client?: pg.Client
  #connecting?: Promise<void>
  #generation = 0
  #waiters = new Set<Waiter>()
  #closed = false
  #reconnectAttempt = 0
  #reconnectTimer?: NodeJS.Timeout

  /** The current generation; pass it to `waitAfter` once a look found nothing. */
  get generation() {
    return this.#generation
  }

  /** Starts listening (once per process); resolves when LISTEN is in place. */
  async listen() {
    if (this.#closed) this.#closed = false
    if (this.#client) return
    this.#connecting ??= this.#connect().finally(() => (this.#connecting = undefined))
    return this.#connecting
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
    this.#closed = true
    clearTimeout(this.#reconnectTimer)
    for (const waiter of [...this.#waiters]) waiter.wake()
    const client = this.#client
    this.#client = undefined
    await client?.end().catch(() => {})
  }

  async #connect() {
    const client = new pg.Client({ connectionString: DatabaseServer.connectionString() })
    client.on('error', (error) => {
      logger.warn({ err: error }, 'claim notifier connection failed; reconnecting')
      this.#drop(client)
    })
    client.on('end', () => this.#drop(client))
    client.on('notification', () => this.#announce())
    await client.connect()
    await client.query(`listen ${CLAIMABLE_CHANNEL}`)
    this.#client = client
    if (this.#reconnectAttempt > 0) this.#announce()
    this.#reconnectAttempt = 0
  }

  #announce() {
    this.#generation++
    for (const waiter of [...this.#waiters]) {
      if (this.#generation > waiter.after) waiter.wake()
    }
  }

  #drop(client: pg.Client) {
    if (this.#client !== client) return
    this.#client = undefined
    client.end().catch(() => {})
    if (this.#closed) return
    this.#scheduleReconnect()
  }

  #scheduleReconnect() {
    const delay = RECONNECT_DELAYS_MS[Math.min(this.#reconnectAttempt, RECONNECT_DELAYS_MS.length - 1)]
    this.#reconnectAttempt++
    this.#reconnectTimer = setTimeout(() => {
      if (this.#closed) return
      this.listen().catch((error) => {
        logger.warn({ err: error }, 'claim notifier could not reconnect')
        this.#scheduleReconnect()
      })
    }, delay)
  }
}

/** The process-wide notifier; closed by the claim notifier provider on shutdown. */
const claimNotifier = new ClaimNotifier()
export default claimNotifier
