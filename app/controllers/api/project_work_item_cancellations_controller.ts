import type { HttpContext } from '@adonisjs/core/http'
import { findItemOrFail, keyContext } from '#controllers/api/project_work_items_controller'

/** POST /api/v1/projects/:slug/work_items/:id/cancellation: as a person's cancel would. */
export default class ProjectWorkItemCancellationsController {
  async store({ auth, params, request }: HttpContext) {
    const { project, actor } = keyContext(auth)
    const item = await findItemOrFail(project.id, params.id)
    await item.cancel(actor, request.ip())
    return { id: item.id, status: item.status }
  }
}
