import vine from '@vinejs/vine'
import { MAX_INTEGER } from '#database/column_limits'
import db from '@adonisjs/lucid/services/db'
import { WORK_ITEM_STATUSES } from '#models/work_item'

const workType = () =>
  vine
    .string()
    .trim()
    .maxLength(64)
    .regex(/^[a-z0-9]+([-_][a-z0-9]+)*$/)

export const priority = () => vine.number().withoutDecimals().range([-1_000_000, 1_000_000])

/** The payload field: a JSON object typed into a textarea. */
const jsonObject = vine.createRule((value, _options, field) => {
  if (typeof value !== 'string') return
  try {
    const parsed = JSON.parse(value)
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
      field.report('The payload must be a JSON object, like {"issue": 42}', 'jsonObject', field)
      return
    }
    field.mutate(parsed, field)
  } catch (error) {
    field.report(`The payload is not valid JSON: ${(error as Error).message}`, 'jsonObject', field)
  }
})

/**
 * The depends-on field: work item ids separated by commas or spaces, each an item of the same
 * project (dependencies across projects would make one project's queue wait on another's).
 */
const workItemIdsOfProject = vine.createRule(
  async (value, _options, field) => {
    if (typeof value !== 'string') return
    const tokens = value.split(/[\s,]+/).filter(Boolean)
    const bad = tokens.find((token) => !/^\d{1,9}$/.test(token))
    if (bad) {
      field.report(
        `"${bad}" is not a work item id; list ids separated by commas`,
        'workItemIds',
        field
      )
      return
    }
    const ids = [...new Set(tokens.map(Number))]
    const projectId = Number(field.parent.project_id)
    if (ids.length > 0 && Number.isInteger(projectId)) {
      const found = await db
        .from('work_items')
        .whereIn('id', ids)
        .where('project_id', projectId)
        .select('id')
      const missing = ids.filter((id) => !found.some((row) => row.id === id))
      if (missing.length > 0) {
        field.report(`No work item ${missing.join(', ')} in this project`, 'workItemIds', field)
        return
      }
    }
    field.mutate(ids, field)
  },
  { isAsync: true }
)

/** POST /work-items */
export const createWorkItemValidator = vine.create({
  // Archived projects take no new work.
  project_id: vine
    .number()
    .withoutDecimals()
    .range([1, MAX_INTEGER])
    .exists({
      table: 'projects',
      column: 'id',
      filter: (query) => {
        query.whereNot('state', 'archived')
      },
    }),
  work_type: workType(),
  title: vine.string().trim().minLength(1).maxLength(500),
  payload: vine.string().trim().use(jsonObject()).optional(),
  priority: priority().optional(),
  depends_on: vine.string().trim().use(workItemIdsOfProject()).optional(),
  max_attempts: vine.number().withoutDecimals().range([1, 100]).optional(),
})

/** POST /work-items/:id/block */
export const blockWorkItemValidator = vine.create({
  reason: vine.string().trim().minLength(1).maxLength(2000),
})

/** PUT /work-items/:id/priority */
export const workItemPriorityValidator = vine.create({
  priority: priority(),
})

/** POST /work-items/:id/pin */
export const pinWorkItemValidator = vine.create({
  agent_id: vine
    .number()
    .withoutDecimals()
    .range([1, MAX_INTEGER])
    .exists({ table: 'agents', column: 'id' }),
})

/** GET /work-items: the filters of the list. */
export const workItemFiltersValidator = vine.create({
  project: vine.number().withoutDecimals().min(1).max(MAX_INTEGER).optional(),
  status: vine.enum(WORK_ITEM_STATUSES).optional(),
  work_type: workType().optional(),
  before: vine.number().withoutDecimals().min(1).max(MAX_INTEGER).optional(),
  after: vine.number().withoutDecimals().min(0).max(MAX_INTEGER).optional(),
})

/** POST /work-items/:id/requeue: an optional note for the next attempt (its feedback). */
export const requeueValidator = vine.create({
  note: vine.string().trim().maxLength(10_000).nullable().optional(),
})
