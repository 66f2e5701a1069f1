import vine from '@vinejs/vine'
import { MAX_INTEGER } from '#database/column_limits'
import { DELIVERY_STATUSES } from '#models/webhook_delivery'

/** Filters and cursor of the deliveries list. */
export const webhookDeliveryFilters = vine.create({
  status: vine.enum(DELIVERY_STATUSES).optional(),
  project: vine.number().withoutDecimals().min(1).max(MAX_INTEGER).optional(),
  after: vine.number().withoutDecimals().min(0).max(MAX_INTEGER).optional(),
  before: vine.number().withoutDecimals().min(0).max(MAX_INTEGER).optional(),
})
