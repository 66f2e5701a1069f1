import type { ApplicationService } from '@adonisjs/core/types'

/**
 * Closes the process's LISTEN connection for long-polling claims on shutdown (it is opened
 * lazily, by the first claim that waits), waking its waiters so that they answer 204.
 */
export default class ClaimNotifierProvider {
  constructor(protected app: ApplicationService) {}

  async shutdown() {
    const { default: claimNotifier } = await import('#infrastructure/claim_notifier')
    await claimNotifier.close()
  }
}
