import pg from 'pg'
import logger from '@adonisjs/core/services/logger'
import DatabaseServer from '#infrastructure/database_server'

const RECONNECT_DELAYS_MS = [100, 500, 1000, 2000, 5000]

/**
 * A dedicated connection LISTENing on one Postgres channel (pool connections cannot: they are
 * shared and come and go). When it fails it reconnects with backoff, and calls `onReconnect`
 * once listening again, since notifications sent in between are lost.
 */
export default class PostgresListener {
  #client?: pg.Client
  #connecting?: Promise<void>
  #closed = false
  #reconnectAttempt = 0
  #reconnectTimer?: NodeJS.Timeout

  constructor(
    readonly channel: string,
    private readonly handlers: {
      onNotification: (payload: string | undefined) => void
      onReconnect: () => void
    }
  ) {}

  /** Starts listening (one connection however often called); resolves when LISTEN is in place. */
  async listen() {
    this.#closed = false
    if (this.#client) return
    this.#connecting ??= this.#connect().finally(() => (this.#connecting = undefined))
    return this.#connecting
  }

  /** Ends the connection and stops reconnecting (until `listen` is called again). */
  async close() {
    this.#closed = true
    clearTimeout(this.#reconnectTimer)
    const client = this.#client
    this.#client = undefined
    await client?.end().catch(() => {})
  }

  async #connect() {
    const client = new pg.Client({ connectionString: DatabaseServer.connectionString() })
    client.on('error', (error) => {
      logger.warn({ err: error, channel: this.channel }, 'LISTEN connection failed; reconnecting')
      this.#drop(client)
    })
    client.on('end', () => this.#drop(client))
    client.on('notification', (message) => this.handlers.onNotification(message.payload))
    await client.connect()
    await client.query(`listen ${this.channel}`)
    this.#client = client
    if (this.#reconnectAttempt > 0) this.handlers.onReconnect()
    this.#reconnectAttempt = 0
  }

  #drop(client: pg.Client) {
    if (this.#client !== client) return
    this.#client = undefined
    client.end().catch(() => {})
    if (this.#closed) return
    this.#scheduleReconnect()
  }

  #scheduleReconnect() {
    const delay =
      RECONNECT_DELAYS_MS[Math.min(this.#reconnectAttempt, RECONNECT_DELAYS_MS.length - 1)]
    this.#reconnectAttempt++
    this.#reconnectTimer = setTimeout(() => {
      if (this.#closed) return
      this.listen().catch((error) => {
        logger.warn({ err: error, channel: this.channel }, 'LISTEN connection could not reconnect')
        this.#scheduleReconnect()
      })
    }, delay)
  }
}
