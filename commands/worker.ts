import { BaseCommand, flags } from '@adonisjs/core/ace'
import type { CommandOptions } from '@adonisjs/core/types/ace'
import shutdown from '#infrastructure/shutdown'

/**
 * A jobs-only process (spec §8: add `worker` processes for more load). Runs until SIGTERM or
 * Ctrl-C; the app's shutdown (WorkerProvider) lets running jobs finish and leaves nothing locked.
 */
export default class WorkerCommand extends BaseCommand {
  static commandName = 'worker'
  static description = 'Run the graphile-worker job runner until stopped (SIGTERM/Ctrl-C)'

  static options: CommandOptions = { startApp: true, staysAlive: true }

  @flags.number({ description: 'How many jobs run at once', default: 5 })
  declare concurrency: number

  async run() {
    // No separate migration first: graphile-worker's run() migrates its schema, inside the retry
    // below (a migration that met a Postgres shutting down ended the process).
    if (shutdown.begun) return
    const worker = await this.app.container.make('worker')
    await shutdown.track('worker start', () =>
      worker.startWhenReachable({ concurrency: this.concurrency })
    )
    this.logger.info(`worker running (concurrency ${this.concurrency}); Ctrl-C to stop`)
    try {
      await worker.promise
      this.logger.info('worker stopped')
    } catch (error) {
      this.logger.error(`worker crashed: ${(error as Error).message}`)
      this.exitCode = 1
    }
  }
}
