import type { HttpContext } from '@adonisjs/core/http'
import WorkItem from '#models/work_item'
import WorkItemPolicy from '#policies/work_item_policy'
import Evidence from '#services/audit/evidence'

/** The evidence document of a completed item, as a download (issue 16). */
export default class WorkItemEvidenceController {
  async show({ params, response, bouncer }: HttpContext) {
    const item = await WorkItem.findOrFail(params.id)
    await bouncer.with(WorkItemPolicy).authorize('view')
    const evidence = await Evidence.find(item.id)
    if (!evidence) return response.notFound('No evidence: the item has not completed.')
    response.header('Content-Type', 'application/json; charset=utf-8')
    response.header('X-Evidence-SHA256', evidence.sha256)
    response.header(
      'Content-Disposition',
      `attachment; filename="work-item-${item.id}-evidence.json"`
    )
    return response.send(evidence.document)
  }
}
