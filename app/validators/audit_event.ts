import vine from '@vinejs/vine'
import { MAX_INTEGER, MAX_SAFE_BIGINT } from '#database/column_limits'

/** GET /audit-events: the filters of the audit log. */
export const auditEventFiltersValidator = vine.create({
  project: vine.number().withoutDecimals().min(1).max(MAX_INTEGER).optional(),
  actor_type: vine.enum(['system', 'agent', 'user'] as const).optional(),
  action: vine.string().trim().maxLength(100).optional(),
  // An id alone names no subject (and no index serves it): it needs its type.
  subject_type: vine.string().trim().maxLength(50).optional().requiredIfExists('subject_id'),
  subject_id: vine.number().withoutDecimals().min(1).max(MAX_SAFE_BIGINT).optional(),
  before: vine.number().withoutDecimals().min(1).max(MAX_SAFE_BIGINT).optional(),
  after: vine.number().withoutDecimals().min(0).max(MAX_SAFE_BIGINT).optional(),
})
