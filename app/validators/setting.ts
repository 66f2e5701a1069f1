import vine from '@vinejs/vine'
import { KEY_LIFETIME_HOURS } from '#models/idempotency_key'

/** A retention period: a whole number within bounds (at most ten years). */
const retention = (min: number, max: number) =>
  vine.number().withoutDecimals().range([min, max]).optional()

/**
 * PUT /settings: the kill switch, the global cap (blank = no cap) and the retention periods
 * (left out = unchanged).
 */
export const settingsValidator = vine.create({
  // An unticked checkbox sends nothing.
  agents_enabled: vine.boolean().parse((value) => value ?? false),
  max_parallel_runs: vine.number().withoutDecimals().range([1, 100_000]).nullable(),
  run_log_retention_days: retention(1, 3650),
  webhook_delivery_retention_days: retention(1, 3650),
  // Shorter than the replay window would forget keys that retries still rely on.
  idempotency_key_retention_hours: retention(KEY_LIFETIME_HOURS, 3650 * 24),
})
