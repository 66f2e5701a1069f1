import pg from 'pg'
import logger from '@adonisjs/core/services/logger'
import DatabaseServer from '#services/database_server'

/** The Postgres channel on which a run's new log lines are announced (payload: the run id). */
export const RUN_LOGS_CHANNEL = 'gatehouse_run_logs'

const RECONNECT_DELAYS_MS = [100, 500, 1000, 2000, 5000]

/**
 * The process's one LISTEN connection on `gatehouse_run_logs`, shared by every live log
 * page (Server-Sent Events) it serves. Followers register per run and are woken when lines
 * of that run commit; after a reconnect every follower wakes, since announcements may have
 * been missed. Opened lazily by the first follower.
 */
export class RunLogNotifier {
  #client?: pg.Client
  #connecting?: Promise<void>
  #followers = new Map<number, Set<() => void>>()
  #closed = false
  #reconnectAttempt = 0
  #reconnectTimer?: NodeJS.Timeout

  async listen() {
    this.#closed = false
    if (this.#client) return
    this.#connecting ??= this.#connect().finally(() => (this.#connecting = undefined))
    return this.#connecting
  }

  /** Calls `wake` whenever lines of the run commit; returns the function that stops it. */
  follow(runId: number, wake: () => void) {
    const followers = this.#followers.get(runId) ?? new Set()
    followers.add(wake)
    this.#followers.set(runId, followers)
    return () => {
      followers.delete(wake)
      if (followers.size === 0 && this.#followers.get(runId) === followers) this.#followers.delete(runId)
    }
  }

  async close() {
    this.#closed = true
    clearTimeout(this.#reconnectTimer)
    this.#wakeAll()
    const client = this.#client
    this.#client = undefined
    await client?.end().catch(() => {})
  }

  async #connect() {
    const client = new pg.Client({ connectionString: DatabaseServer.connectionString() })
    client.on('error', (error) => {
      logger.warn({ err: error }, 'run log notifier connection failed; reconnecting')
      this.#drop(client)
    })
    client.on('end', () => this.#drop(client))
    client.on('notification', (message) => {
      for (const wake of this.#followers.get(Number(message.payload)) ?? []) wake()
    })
    await client.connect()
    await client.query(`listen ${RUN_LOGS_CHANNEL}`)
    this.#client = client
    if (this.#reconnectAttempt > 0) this.#wakeAll()
    this.#reconnectAttempt = 0
  }

  #wakeAll() {
    for (const followers of this.#followers.values()) for (const wake of followers) wake()
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
        logger.warn({ err: error }, 'run log notifier could not reconnect')
        this.#scheduleReconnect()
      })
    }, delay)
  }
}

/** The process-wide notifier; closed by the run log notifier provider on shutdown. */
const runLogNotifier = new RunLogNotifier()
export default runLogNotifier
