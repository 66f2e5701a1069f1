import type { HttpContext } from '@adonisjs/core/http'
import WorkItem from '#models/work_item'
import type { Actor } from '#models/audit_event'
import ApiWorkItems from '#services/api_work_items'
import {
  createBatchValidator,
  createOneValidator,
  listProjectWorkItemsValidator,
  updateProjectWorkItemValidator,
} from '#validators/project_work_item'
import { MAX_INTEGER } from '#database/column_limits'

/** The project of the API key, and the key as the actor of what it changes. */
export function keyContext(auth: HttpContext['auth']) {
  const project = auth.use('projects').getUserOrFail()
  const actor: Actor = {
    actorType: 'api_key',
    id: Number(project.currentAccessToken.identifier),
  }
  return { project, actor }
}

/** One of the key's project's items (another project's is 404). */
export async function findItemOrFail(projectId: number, id: unknown) {
  const query = WorkItem.query().where('projectId', projectId)
  return (
    Number(id) <= MAX_INTEGER ? query.where('id', Number(id)) : query.whereRaw('false')
  ).firstOrFail()
}

/** What the work-item API shows of an item. */
export function workItemJson(item: WorkItem, dependsOn: number[]) {
  return {
    id: item.id,
    external_id: item.externalRef?.startsWith('api:') ? item.externalRef.slice(4) : null,
    external_ref: item.externalRef,
    source: item.source,
    work_type: item.workType,
    title: item.title,
    payload: item.payload,
    priority: item.priority,
    status: item.status,
    attempts: item.attempts,
    max_attempts: item.maxAttempts,
    depends_on: dependsOn,
    approved: item.approvedAt !== null,
    run_after: item.runAfter.toUTC().toISO(),
    created_at: item.createdAt.toUTC().toISO(),
    updated_at: item.updatedAt?.toUTC().toISO() ?? null,
    completed_at: item.completedAt?.toUTC().toISO() ?? null,
  }
}

async function render(items: WorkItem[]) {
  const deps = await ApiWorkItems.dependencyIds(items.map((item) => item.id))
  return items.map((item) => workItemJson(item, deps.get(item.id) ?? []))
}

/** /api/v1/projects/:slug/work_items: an integration lists, creates, reads and edits items. */
export default class ProjectWorkItemsController {
  /** Filters and keyset pages (by id): `next_cursor` is the `after` of the next page. */
  async index({ auth, request }: HttpContext) {
    const { project } = keyContext(auth)
    const filters = await request.validateUsing(listProjectWorkItemsValidator, {
      data: request.qs(),
    })
    const limit = filters.limit ?? 50
    const query = WorkItem.query()
      .where('projectId', project.id)
      .orderBy('id')
      .limit(limit + 1)
    if (filters.status) query.where('status', filters.status)
    if (filters.work_type) query.where('workType', filters.work_type)
    if (filters.external_id) query.where('externalRef', `api:${filters.external_id}`)
    if (filters.after !== undefined) query.where('id', '>', filters.after)
    const rows = await query
    const page = rows.slice(0, limit)
    return {
      data: await render(page),
      next_cursor: rows.length > limit ? page[page.length - 1].id : null,
    }
  }

  /** One item (201 created, 200 when `external_id` named an item already there) or a batch. */
  async store({ auth, request, response }: HttpContext) {
    const { project, actor } = keyContext(auth)
    if (Array.isArray(request.input('items'))) {
      const { items } = await request.validateUsing(createBatchValidator)
      const results = await ApiWorkItems.upsert(project, actor, items)
      const rendered = await render(results.map((result) => result.item))
      return response.ok({
        items: results.map((result, index) => ({
          outcome: result.outcome,
          work_item: rendered[index],
        })),
      })
    }
    const input = await request.validateUsing(createOneValidator)
    const [result] = await ApiWorkItems.upsert(project, actor, [input])
    const [rendered] = await render([result.item])
    if (result.outcome === 'conflict') {
      return response.conflict({
        type: 'about:blank',
        title: 'Conflict',
        status: 409,
        detail: `Work item ${result.item.id} is ${result.item.status}: a run holds it.`,
      })
    }
    response.status(result.outcome === 'created' ? 201 : 200)
    return { outcome: result.outcome, work_item: rendered }
  }

  async show({ auth, params }: HttpContext) {
    const { project } = keyContext(auth)
    const item = await findItemOrFail(project.id, params.id)
    const [rendered] = await render([item])
    return rendered
  }

  /** Title, payload, priority, work type, dependencies, approval; 409 while a run holds it. */
  async update({ auth, params, request }: HttpContext) {
    const { project, actor } = keyContext(auth)
    const item = await findItemOrFail(project.id, params.id)
    const changes = await request.validateUsing(updateProjectWorkItemValidator)
    const fields = await ApiWorkItems.update(item, actor, changes)
    const [rendered] = await render([item])
    return { changed: fields, work_item: rendered }
  }
}
