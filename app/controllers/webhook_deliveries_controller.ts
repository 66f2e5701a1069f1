import type { HttpContext } from '@adonisjs/core/http'
import { urlFor } from '@adonisjs/core/services/url_builder'
import Project from '#models/project'
import WebhookDelivery, { DELIVERY_STATUSES } from '#models/webhook_delivery'
import WebhookDeliveryPolicy from '#policies/webhook_delivery_policy'
import KeysetPage from '#presenters/keyset_page'
import { webhookDeliveryFilters } from '#validators/webhook_delivery'
import { filledParams } from '#validators/list_filters'

/** Every GitHub webhook received, with its processing state (spec §6: visible in the admin pages). */
export default class WebhookDeliveriesController {
  async index({ bouncer, request, view }: HttpContext) {
    await bouncer.with(WebhookDeliveryPolicy).authorize('view')
    const filters = await webhookDeliveryFilters.validate(filledParams(request.qs()))
    const page = await KeysetPage.fetch(
      WebhookDelivery.listQuery({ status: filters.status, projectId: filters.project }),
      filters
    )
    const projects = await Project.query().orderBy('name').select('id', 'name', 'slug')
    const project = filters.project ? await Project.find(filters.project) : null
    // Deliveries stop making sense when GitHub refuses the project's token: say so up front.
    const disconnected = await Project.query()
      .whereIn('githubStatus', ['token_missing', 'token_rejected', 'unreachable'])
      .orderBy('name')
    return view.render('pages/webhook_deliveries/index', {
      deliveries: page.rows,
      pages: page.links(urlFor('webhook_deliveries.index'), {
        status: filters.status,
        project: filters.project,
      }),
      filters,
      statuses: DELIVERY_STATUSES,
      projects,
      project,
      disconnected,
    })
  }
}
