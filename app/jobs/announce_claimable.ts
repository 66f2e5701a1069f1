import vine from '@vinejs/vine'
import db from '@adonisjs/lucid/services/db'
import Claimable from '#infrastructure/claimable'

const announceClaimablePayload = vine.create({ projectId: vine.number().withoutDecimals().min(1) })

/**
 * Runs at an item's run_after (retry backoff over): wakes long-polling claimers, which
 * otherwise hear only of changes, not of time passing.
 */
export default async function announceClaimable(payload: unknown) {
  const { projectId } = await announceClaimablePayload.validate(payload)
  await db.transaction((trx) => Claimable.announce(trx, projectId))
}
