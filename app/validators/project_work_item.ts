import vine from '@vinejs/vine'
import { MAX_INTEGER } from '#database/column_limits'
import { WORK_ITEM_STATUSES } from '#models/work_item'

/** The most items one create request may carry. */
export const MAX_BATCH_ITEMS = 500

const workType = () =>
  vine
    .string()
    .trim()
    .maxLength(64)
    .regex(/^[a-z0-9]+([-_][a-z0-9]+)*$/)
const priority = () => vine.number().withoutDecimals().range([-1_000_000, 1_000_000])
const ids = () =>
  vine
    .array(vine.number().withoutDecimals().range([1, MAX_INTEGER]))
    .distinct()
    .maxLength(100)

/** One work item as an integration sends it (create, or upsert by `external_id`). */
const workItemFields = vine.object({
  external_id: vine.string().trim().minLength(1).maxLength(200).optional(),
  title: vine.string().trim().minLength(1).maxLength(500),
  work_type: workType().optional(),
  payload: vine.record(vine.any()).optional(),
  priority: priority().optional(),
  max_attempts: vine.number().withoutDecimals().range([1, 100]).nullable().optional(),
  depends_on: ids().optional(),
  approved: vine.boolean({ strict: true }).optional(),
})

/** POST /api/v1/projects/:slug/work_items: one item, or `{items: [...]}` of up to 500. */
export const createOneValidator = vine.create(workItemFields)
export const createBatchValidator = vine.create({
  items: vine.array(workItemFields).minLength(1).maxLength(MAX_BATCH_ITEMS),
})

/** PATCH /api/v1/projects/:slug/work_items/:id */
export const updateProjectWorkItemValidator = vine.create({
  title: vine.string().trim().minLength(1).maxLength(500).optional(),
  work_type: workType().optional(),
  payload: vine.record(vine.any()).optional(),
  priority: priority().optional(),
  depends_on: ids().optional(),
  approved: vine.boolean({ strict: true }).optional(),
})

/** GET /api/v1/projects/:slug/work_items: filters and the keyset cursor. */
export const listProjectWorkItemsValidator = vine.create({
  status: vine.enum(WORK_ITEM_STATUSES).optional(),
  work_type: workType().optional(),
  external_id: vine.string().trim().maxLength(200).optional(),
  after: vine.number().withoutDecimals().range([0, MAX_INTEGER]).optional(),
  limit: vine.number().withoutDecimals().range([1, 200]).optional(),
})

export type ApiWorkItemInput = {
  external_id?: string
  title: string
  work_type?: string
  payload?: Record<string, unknown>
  priority?: number
  max_attempts?: number | null
  depends_on?: number[]
  approved?: boolean
}
export type ApiWorkItemChanges = Partial<Omit<ApiWorkItemInput, 'external_id' | 'max_attempts'>>
