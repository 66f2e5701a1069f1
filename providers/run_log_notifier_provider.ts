import type { ApplicationService } from '@adonisjs/core/types'

/** Closes the process's LISTEN connection for live run logs on shutdown, ending open streams. */
export default class RunLogNotifierProvider {
  constructor(protected app: ApplicationService) {}

  async shutdown() {
    const { default: runLogNotifier } = await import('#infrastructure/run_log_notifier')
    await runLogNotifier.close()
  }
}
