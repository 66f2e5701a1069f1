import type { ApplicationService } from '@adonisjs/core/types'
import Worker from '#infrastructure/worker'

declare module '@adonisjs/core/types' {
  interface ContainerBindings {
    worker: Worker
  }
}

/**
 * Runs graphile-worker inside the web process (spec §8: one process serves HTTP and runs
 * jobs); `RUN_WORKER=false` leaves jobs to separate `worker` processes.
 */
export default class WorkerProvider {
  constructor(protected app: ApplicationService) {}

  register() {
    this.app.container.singleton('worker', () => new Worker())
  }

  async ready() {
    if (this.app.getEnvironment() !== 'web') return
    const { default: env } = await import('#start/env')
    if (env.get('RUN_WORKER') === false) return
    const worker = await this.app.container.make('worker')
    await worker.start({ concurrency: env.get('WORKER_CONCURRENCY') ?? 5 })
  }

  async shutdown() {
    if (!this.app.container.hasBinding('worker')) return
    const worker = await this.app.container.make('worker')
    if (worker.isRunning) await worker.stop()
  }
}
