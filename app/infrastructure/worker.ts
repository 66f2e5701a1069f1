import pg from 'pg'
import { hostname } from 'node:os'
import logger from '@adonisjs/core/services/logger'
import { EventEmitter } from 'node:events'
import {
  Logger,
  parseCrontab,
  run,
  runMigrations,
  type Runner,
  type TaskList,
  type WorkerEvents,
} from 'graphile-worker'
import DatabaseServer from '#infrastructure/database_server'
import { connectionLossCodes, isConnectionLoss } from '#infrastructure/connection_loss'
import shutdown from '#infrastructure/shutdown'
import {
  taskList as applicationTasks,
  crontab,
  maintenanceTasks,
  notificationTasks,
} from '#jobs/task_list'

/**
 * graphile-worker 0.18 retries a job's completion and failure write only on the few codes of
 * its RETRYABLE_ERROR_CODES (not ECONNREFUSED or an admin shutdown), and does not await that
 * write: during a Postgres outage the rejection is unhandled and ends the process. The table
 * is a mutable export of its lib module (not in its package exports, so reached by path):
 * adding the connection-loss codes makes those writes wait for Postgres to come back.
 * tests/functional/outage.spec.ts fails if an upgrade moves it.
 * The waits are short and bounded for every such code, including the ones graphile-worker
 * already lists (57P03 "starting up", ETIMEDOUT: 3 s growing to 120 s): a stop waits for a
 * pending completion write, and a retry asleep for a minute overran the 10 s stop after an
 * outage.
 */
const graphileLib = (await import(
  new URL('./lib.js', import.meta.resolve('graphile-worker')).href
)) as { RETRYABLE_ERROR_CODES: Record<string, { minDelay: number; maxDelay: number }> }
for (const code of connectionLossCodes) {
  graphileLib.RETRYABLE_ERROR_CODES[code] = { minDelay: 250, maxDelay: 2000 }
}

type WorkerOptions = { concurrency?: number; taskList?: TaskList; crontab?: string }

/** Slots of the maintenance runner: its jobs are short, and one long prune leaves one free. */
const MAINTENANCE_CONCURRENCY = 2

/** Slots of the notification runner: each delivery may wait up to its 10 s timeout. */
const NOTIFICATION_CONCURRENCY = 5

/** The tasks of `tasks` for which `keep` holds. */
function tasksWhere(tasks: TaskList, keep: (identifier: string) => boolean): TaskList {
  return Object.fromEntries(Object.entries(tasks).filter(([identifier]) => keep(identifier)))
}

const graphileLogger = new Logger((scope) => (level, message, meta) => {
  const child = logger.child({ component: 'worker', ...scope, ...meta })
  if (level === 'error') child.error(message)
  else if (level === 'warning') child.warn(message)
  else if (level === 'info') child.info(message)
  else child.debug(message)
})

/**
 * The graphile-worker runners of this process, on a pg pool of their own (jobs must not starve
 * web requests of connections, and each runner needs a LISTEN connection of its own): one for
 * the general jobs (GitHub calls, gates, webhooks), one with reserved slots for the
 * maintenance tasks (task_list.ts), so that the reaper never waits behind a slow GitHub, and
 * one for notification deliveries, so that a slow receiver delays nothing else.
 */
export default class Worker {
  #pool?: pg.Pool
  #runner?: Runner
  #maintenanceRunner?: Runner
  #notificationRunner?: Runner
  /** Set while `run()` is starting: a stop that comes meanwhile waits for it, then stops it. */
  #starting?: Promise<unknown>
  /** The ids this runner's pools lock jobs with (`locked_by`). */
  #lockIds: string[] = []
  #heartbeat?: NodeJS.Timeout

  /** How often each pool of this runner says it is alive (worker_heartbeats; see WorkerRecovery). */
  static heartbeatIntervalMs = 10_000

  static async migrate() {
    const pool = createPool(2)
    try {
      await runMigrations({ pgPool: pool, logger: graphileLogger })
    } finally {
      await pool.end()
    }
  }

  get isRunning() {
    return this.#runner !== undefined || this.#starting !== undefined
  }

  async start(options: WorkerOptions = {}) {
    const starting = this.#start(options)
    this.#starting = starting
    try {
      await starting
    } finally {
      this.#starting = undefined
    }
    return this
  }

  /**
   * Starts, and while Postgres cannot be reached (an outage during start-up) tries again every
   * 2 s until it can or the process stops.
   */
  async startWhenReachable(options: WorkerOptions = {}) {
    while (!shutdown.begun) {
      try {
        return await this.start(options)
      } catch (error) {
        if (!isConnectionLoss(error)) throw error
        // The failed attempt's heartbeat timer would beat for pools that never started.
        clearInterval(this.#heartbeat)
        this.#heartbeat = undefined
        await this.#pool?.end().catch(() => {})
        this.#pool = undefined
        this.#lockIds = []
        logger.warn({ err: error }, 'worker cannot reach the database yet; retrying in 2 s')
        await new Promise((resolve) => setTimeout(resolve, 2000))
      }
    }
  }

  async #start(options: WorkerOptions) {
    const concurrency = options.concurrency ?? 5
    const tasks = options.taskList ?? applicationTasks
    const isMaintenance = (task: string) => maintenanceTasks.includes(task)
    const isNotification = (task: string) => notificationTasks.includes(task)
    const notifications = tasksWhere(tasks, isNotification)
    const hasNotifications = Object.keys(notifications).length > 0
    // Parsed here: an empty string would make graphile-worker look for a crontab file.
    const cronItems = parseCrontab(options.crontab ?? crontab)
    const maintenance = tasksWhere(tasks, isMaintenance)
    const hasMaintenance = Object.keys(maintenance).length > 0
    // A delivery holds no connection while it waits on its receiver: two more suffice for that runner.
    this.#pool = createPool(
      concurrency +
        2 +
        (hasMaintenance ? MAINTENANCE_CONCURRENCY + 1 : 0) +
        (hasNotifications ? 2 : 0)
    )
    const events: WorkerEvents = new EventEmitter()
    events.on('pool:create', ({ workerPool }) => {
      this.#lockIds.push(workerPool.id)
      void this.#beat()
    })
    this.#heartbeat = setInterval(() => void this.#beat(), Worker.heartbeatIntervalMs)
    this.#heartbeat.unref()
    const common = {
      pgPool: this.#pool,
      events,
      noHandleSignals: true,
      pollInterval: 1000,
      logger: graphileLogger,
      // Inside the process's 10 s stop deadline, with room for the pools and Postgres after.
      gracefulShutdownAbortTimeout: 5000,
    }
    this.#runner = await run({
      ...common,
      concurrency,
      taskList: tasksWhere(tasks, (task) => !isMaintenance(task) && !isNotification(task)),
      parsedCronItems: cronItems.filter((item) => !isMaintenance(item.task)),
    })
    try {
      if (hasMaintenance)
        this.#maintenanceRunner = await run({
          ...common,
          concurrency: MAINTENANCE_CONCURRENCY,
          taskList: maintenance,
          parsedCronItems: cronItems.filter((item) => isMaintenance(item.task)),
        })
      if (hasNotifications)
        this.#notificationRunner = await run({
          ...common,
          concurrency: NOTIFICATION_CONCURRENCY,
          taskList: notifications,
          parsedCronItems: [],
        })
    } catch (error) {
      // A start that fails half-way (Postgres went away) leaves nothing running to retry over.
      await Promise.all(this.#runners().map((runner) => runner.stop().catch(() => {})))
      this.#runner = undefined
      this.#maintenanceRunner = undefined
      throw error
    }
  }

  #runners() {
    return [this.#runner, this.#maintenanceRunner, this.#notificationRunner].filter(
      (runner) => !!runner
    )
  }

  /** Lets running jobs finish (aborting them after the grace period), then closes the pool. */
  async stop() {
    await this.#starting?.catch(() => {})
    const runners = this.#runners()
    this.#runner = undefined
    this.#maintenanceRunner = undefined
    this.#notificationRunner = undefined
    clearInterval(this.#heartbeat)
    this.#heartbeat = undefined
    await Promise.all(runners.map((runner) => runner.stop()))
    await this.#releaseOrphanedLocks()
    await this.#pool?.end()
    this.#pool = undefined
  }

  /**
   * A job a worker picks up while shutdown begins can run to success without its lock being
   * cleared (seen with 0.18), and would then wait 4 hours for the stale-lock sweep. Nothing of
   * this runner runs any more, so any lock it still holds is an orphan: give the job back.
   */
  async #releaseOrphanedLocks() {
    const ids = this.#lockIds
    this.#lockIds = []
    if (!ids.length || !this.#pool) return
    try {
      await this.#pool.query('select graphile_worker.force_unlock_workers($1::text[])', [ids])
      // A clean stop: nothing for the crashed-worker recovery to do about these pools.
      await this.#pool.query('delete from worker_heartbeats where worker_id = any($1::text[])', [
        ids,
      ])
    } catch (error) {
      logger.warn({ err: error }, 'could not release job locks at shutdown')
    }
  }

  /**
   * Says that this runner's pools are alive. A pool whose row is older than a minute belongs to
   * a process that died without stopping: WorkerRecovery gives its locked jobs back.
   */
  async #beat() {
    const ids = this.#lockIds
    if (!ids.length || !this.#pool) return
    try {
      await this.#pool.query(
        `insert into worker_heartbeats (worker_id, host, pid)
           select unnest($1::text[]), $2, $3
         on conflict (worker_id) do update set beat_at = now()`,
        [ids, hostname(), process.pid]
      )
    } catch (error) {
      logger.warn({ err: error }, 'worker heartbeat failed')
    }
  }

  /** Resolves when the runners stop, rejects if one crashes. */
  get promise(): Promise<void> {
    return Promise.all(this.#runners().map((runner) => runner.promise)).then(() => {})
  }
}

function createPool(max: number) {
  const pool = new pg.Pool({ connectionString: DatabaseServer.connectionString(), max })
  // The server going away (shutdown, failover) must not crash the process.
  pool.on('error', (error) => logger.warn({ err: error }, 'worker pool connection error'))
  pool.on('connect', (client) => client.on('error', () => {}))
  return pool
}
