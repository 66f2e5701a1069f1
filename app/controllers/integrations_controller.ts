import type { HttpContext } from '@adonisjs/core/http'
import { errors as vineErrors } from '@vinejs/vine'
import Integration, { INTEGRATION_KINDS } from '#models/integration'
import Project from '#models/project'
import ProjectPolicy from '#policies/project_policy'
import { createIntegrationValidator, updateIntegrationValidator } from '#validators/integration'

const KIND_OPTIONS = INTEGRATION_KINDS.map((kind) => ({ value: kind, label: kind }))

/**
 * A project's integrations. The secret is write-only: never rendered, never flashed back after
 * a refused form (the default validation redirect would flash every field but `password`).
 */
export default class IntegrationsController {
  async create({ bouncer, params, view }: HttpContext) {
    const project = await Project.findOrFail(params.projectId)
    await bouncer.with(ProjectPolicy).authorize('update')
    return view.render('pages/integrations/create', { project, kinds: KIND_OPTIONS })
  }

  async store(ctx: HttpContext) {
    const { bouncer, params, request, auth, session, response } = ctx
    const project = await Project.findOrFail(params.projectId)
    await bouncer.with(ProjectPolicy).authorize('update')
    const input = await this.#validate(ctx, () =>
      request.validateUsing(createIntegrationValidator, { meta: { projectId: project.id } })
    )
    if (!input) return
    await Integration.connect(project, input, auth.use('web').getUserOrFail(), request.ip())
    session.flash('success', `Integration ${input.kind}/${input.name} added.`)
    return response.redirect().toRoute('projects.show', { id: project.id })
  }

  async edit({ bouncer, params, view }: HttpContext) {
    const { project, integration } = await this.#find(params)
    await bouncer.with(ProjectPolicy).authorize('update')
    return view.render('pages/integrations/edit', { project, integration, kinds: KIND_OPTIONS })
  }

  async update(ctx: HttpContext) {
    const { bouncer, params, request, auth, session, response } = ctx
    const { project, integration } = await this.#find(params)
    await bouncer.with(ProjectPolicy).authorize('update')
    const input = await this.#validate(ctx, () =>
      request.validateUsing(updateIntegrationValidator, {
        meta: { projectId: project.id, integrationId: integration.id },
      })
    )
    if (!input) return
    await integration.reconfigure(input, auth.use('web').getUserOrFail(), request.ip())
    session.flash('success', `Integration ${integration.kind}/${integration.name} saved.`)
    return response.redirect().toRoute('projects.show', { id: project.id })
  }

  async #find(params: Record<string, string>) {
    const project = await Project.findOrFail(params.projectId)
    const integration = await Integration.query()
      .where('projectId', project.id)
      .where('id', params.id)
      .firstOrFail()
    return { project, integration }
  }

  /** Validation errors go back to the form with the input kept, except the secret. */
  async #validate<T>(
    { session, response }: HttpContext,
    validate: () => Promise<T>
  ): Promise<T | null> {
    try {
      return await validate()
    } catch (error) {
      if (!(error instanceof vineErrors.E_VALIDATION_ERROR)) throw error
      session.flashValidationErrors(error, false)
      session.flashExcept(['_csrf', '_method', 'secret'])
      response.redirect().back()
      return null
    }
  }
}
