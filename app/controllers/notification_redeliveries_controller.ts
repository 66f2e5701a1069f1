import type { HttpContext } from '@adonisjs/core/http'
import NotificationDelivery from '#models/notification_delivery'
import ProjectPolicy from '#policies/project_policy'

/** Sending a notification delivery once more (POST …/deliveries/:id/redelivery). */
export default class NotificationRedeliveriesController {
  async store({ bouncer, params, request, auth, session, response }: HttpContext) {
    const delivery = await NotificationDelivery.query()
      .where('projectId', params.projectId)
      .where('integrationId', params.integrationId)
      .where('id', params.id)
      .firstOrFail()
    await bouncer.with(ProjectPolicy).authorize('update')
    await delivery.redeliver(auth.use('web').getUserOrFail(), request.ip())
    session.flash('success', `Delivery ${delivery.deliveryUuid} queued again.`)
    return response.redirect().toRoute('projects.integrations.show', {
      projectId: delivery.projectId,
      id: delivery.integrationId,
    })
  }
}
