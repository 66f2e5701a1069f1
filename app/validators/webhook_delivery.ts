import vine from '@vinejs/vine'
import { MAX_INTEGER_KEY } from '#services/keyset_page'
import { DELIVERY_STATUSES } from '#models/webhook_delivery'

/** Filters and cursor of the deliveries list. */
export const webhookDeliveryFilters = vine.create({
  status: vine.enum(DELIVERY_STATUSES).optional(),
  project: vine.number().withoutDecimals().min(1).max(MAX_INTEGER_KEY).optional(),
  after: vine.number().withoutDecimals().min(0).max(MAX_INTEGER_KEY).optional(),
  before: vine.number().withoutDecimals().min(0).max(MAX_INTEGER_KEY).optional(),
})
