import vine from '@vinejs/vine'
import BulkActionRunner from '#services/bulk_actions/bulk_action_runner'

const processBulkActionPayload = vine.create({
  bulkActionId: vine.number().withoutDecimals().min(1),
})

/**
 * Applies a bulk action batch by batch until it is finished. Re-run after a crash, it goes on
 * after the last batch that committed.
 */
export default async function processBulkAction(payload: unknown) {
  const { bulkActionId } = await processBulkActionPayload.validate(payload)
  while (await BulkActionRunner.processNextBatch(bulkActionId)) {}
}
