import vine from '@vinejs/vine'
import { MAX_INTEGER } from '#database/column_limits'
import { BULK_ACTION_KINDS } from '#models/bulk_action'
import { priority } from '#validators/work_item'

/** GET /bulk-actions/new and POST /bulk-actions: which action; the filter is the list's own. */
export const bulkActionKindValidator = vine.create({
  kind: vine.enum(BULK_ACTION_KINDS),
})

/** What the confirmation page counted, posted back so that the submit can tell if it changed. */
export const confirmedSelectionValidator = vine.create({
  count: vine.number().withoutDecimals().range([0, MAX_INTEGER]),
  upto: vine.number().withoutDecimals().range([0, MAX_INTEGER]),
  digest: vine.string().regex(/^[0-9a-f]{64}$/),
})

const reason = () => vine.string().trim().minLength(1).maxLength(2000)

/** What the person decides on the confirmation page: why. */
export const bulkActionDecisionValidator = vine.create({ reason: reason() })

/** …and, to change the priority of every selected item, which priority. */
export const bulkReprioritiseDecisionValidator = vine.create({
  reason: reason(),
  priority: priority(),
})
