import type { TransactionClientContract } from '@adonisjs/lucid/types/database'

/** The Postgres channel on which waiting claims learn that something may have become claimable. */
export const CLAIMABLE_CHANNEL = 'gatehouse_claimable'

/**
 * Tells long-polling claimers (in every process) to look again. Sent through the caller's
 * transaction, so Postgres delivers it only on commit: call it from every change that can
 * make an item claimable (created, requeued, released, reaped, dependency completed, gate
 * reopened, agent enabled, kill switch turned off).
 */
export default class Claimable {
  static async announce(trx: TransactionClientContract, projectId?: number | null) {
    await trx.rawQuery('select pg_notify(?, ?)', [
      CLAIMABLE_CHANNEL,
      projectId ? String(projectId) : '',
    ])
  }
}
