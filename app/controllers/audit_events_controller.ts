import type { HttpContext } from '@adonisjs/core/http'
import { urlFor } from '@adonisjs/core/services/url_builder'
import AuditEvent from '#models/audit_event'
import Project from '#models/project'
import KeysetPage from '#presenters/keyset_page'
import { auditEventFiltersValidator } from '#validators/audit_event'
import { filledParams } from '#validators/list_filters'

/** GET /audit: the audit log, newest first, filtered by project, actor, action or subject. */
export default class AuditEventsController {
  async index({ request, view }: HttpContext) {
    const { before, after, ...filters } = await request.validateUsing(auditEventFiltersValidator, {
      data: filledParams(request.qs()),
    })
    const page = await KeysetPage.fetch(
      AuditEvent.query()
        .withScopes((scopes) => scopes.filtered(filters))
        .preload('project'),
      { before, after }
    )
    return view.render('pages/audit_events/index', {
      section: 'audit',
      page,
      links: page.links(urlFor('audit_events.index'), filters),
      filters,
      actors: await AuditEvent.actorNames(page.rows),
      projects: await Project.query().orderBy('name'),
    })
  }
}
