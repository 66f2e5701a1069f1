import type { HttpContext } from '@adonisjs/core/http'
import Integration from '#models/integration'
import ProjectPolicy from '#policies/project_policy'

/** Deactivating an integration (store) and reactivating it (destroy). */
export default class IntegrationDeactivationsController {
  async store({ bouncer, params, request, auth, session, response }: HttpContext) {
    const integration = await this.#find(params)
    await bouncer.with(ProjectPolicy).authorize('update')
    await integration.deactivate(auth.use('web').getUserOrFail(), request.ip())
    session.flash('success', `Integration ${integration.kind}/${integration.name} deactivated.`)
    return response.redirect().toRoute('projects.show', { id: integration.projectId })
  }

  async destroy({ bouncer, params, request, auth, session, response }: HttpContext) {
    const integration = await this.#find(params)
    await bouncer.with(ProjectPolicy).authorize('update')
    await integration.reactivate(auth.use('web').getUserOrFail(), request.ip())
    session.flash('success', `Integration ${integration.kind}/${integration.name} reactivated.`)
    return response.redirect().toRoute('projects.show', { id: integration.projectId })
  }

  #find(params: Record<string, string>) {
    return Integration.query()
      .where('projectId', params.projectId)
      .where('id', params.id)
      .firstOrFail()
  }
}
