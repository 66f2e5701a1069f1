import pg from 'pg'
import logger from '@adonisjs/core/services/logger'
import { Logger, parseCrontab, run, runMigrations, type Runner, type TaskList } from 'graphile-worker'
import DatabaseServer from '#services/database_server'
import { taskList as applicationTasks, crontab } from '#jobs/task_list'

type WorkerOptions = { concurrency?: number; taskList?: TaskList; crontab?: string }

const graphileLogger = new Logger((scope) => (level, message, meta) => {
  const child = logger.child({ component: 'worker', ...scope, ...meta })
  if (level === 'error') child.error(message)
  else if (level === 'warning') child.warn(message)
  else if (level === 'info') child.info(message)
  else child.debug(message)
})

/**
 * The graphile-worker runner of this process: its own pg pool (jobs must not starve web
 * requests of connections, and the runner needs a LISTEN connection of its own).
 */
export default class Worker {
  #pool?: pg.Pool
  #runner?: Runner

  static async migrate() {
    const pool = createPool(2)
    try {
      await runMigrations({ pgPool: pool, logger: graphileLogger })
    } finally {
      await pool.end()
    }
  }

  get isRunning() {
    return this.#runner !== undefined
  }

  async start(options: WorkerOptions = {}) {
    const concurrency = options.concurrency ?? 5
    this.#pool = createPool(concurrency + 2)
    this.#runner = await run({
      pgPool: this.#pool,
      concurrency,
      noHandleSignals: true,
      pollInterval: 1000,
      logger: graphileLogger,
      gracefulShutdownAbortTimeout: 8000,
      taskList: options.taskList ?? applicationTasks,
      // Parsed here: an empty string would make graphile-worker look for a crontab file.
      parsedCronItems: parseCrontab(options.crontab ?? crontab),
    })
    return this
  }

  /** Lets running jobs finish (aborting them after the grace period), then closes the pool. */
  async stop() {
    const runner = this.#runner
    this.#runner = undefined
    if (runner) await runner.stop()
    await this.#pool?.end()
    this.#pool = undefined
  }

  /** Resolves when the runner stops, rejects if it crashes. */
  get promise() {
    return this.#runner?.promise ?? Promise.resolve()
  }
}

function createPool(max: number) {
  const pool = new pg.Pool({ connectionString: DatabaseServer.connectionString(), max })
  // The server going away (shutdown, failover) must not crash the process.
  pool.on('error', (error) => logger.warn({ err: error }, 'worker pool connection error'))
  pool.on('connect', (client) => client.on('error', () => {}))
  return pool
}
