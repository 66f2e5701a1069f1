import type { HttpContext } from '@adonisjs/core/http'
import { urlFor } from '@adonisjs/core/services/url_builder'
import { errors as vineErrors } from '@vinejs/vine'
import Integration, { INTEGRATION_KINDS } from '#models/integration'
import Project from '#models/project'
import ProjectPolicy from '#policies/project_policy'
import { createIntegrationValidator, updateIntegrationValidator } from '#validators/integration'
import { NOTIFICATION_EVENTS } from '#services/notifications/notifier'
import NotificationDelivery from '#models/notification_delivery'
import KeysetPage, { cursorValidator } from '#presenters/keyset_page'

const KIND_OPTIONS = INTEGRATION_KINDS.map((kind) => ({ value: kind, label: kind }))
const EVENT_OPTIONS = NOTIFICATION_EVENTS

/**
 * A project's integrations. The secret is write-only: never rendered, never flashed back after
 * a refused form (the default validation redirect would flash every field but `password`).
 */
export default class IntegrationsController {
  async create({ bouncer, params, view }: HttpContext) {
    const project = await Project.findOrFail(params.projectId)
    await bouncer.with(ProjectPolicy).authorize('update')
    return view.render('pages/integrations/create', {
      project,
      kinds: KIND_OPTIONS,
      events: EVENT_OPTIONS,
    })
  }

  async store(ctx: HttpContext) {
    const { bouncer, params, request, auth, session, response } = ctx
    const project = await Project.findOrFail(params.projectId)
    await bouncer.with(ProjectPolicy).authorize('update')
    const input = await this.#validate(ctx, () =>
      request.validateUsing(createIntegrationValidator, {
        meta: { projectId: project.id, webhookSecretName: project.webhookSecretName },
      })
    )
    if (!input) return
    await Integration.connect(project, input, auth.use('web').getUserOrFail(), request.ip())
    session.flash('success', `Integration ${input.kind}/${input.name} added.`)
    return response.redirect().toRoute('projects.show', { id: project.id })
  }

  /** The integration and its notification deliveries, newest first. */
  async show({ bouncer, params, request, view }: HttpContext) {
    const { project, integration } = await this.#find(params)
    await bouncer.with(ProjectPolicy).authorize('view')
    const cursor = await cursorValidator.validate(request.qs())
    const page = await KeysetPage.fetch(NotificationDelivery.ofIntegration(integration.id), cursor)
    return view.render('pages/integrations/show', {
      project,
      integration,
      deliveries: page.rows,
      pages: page.links(
        urlFor('projects.integrations.show', { projectId: project.id, id: integration.id })
      ),
    })
  }

  async edit({ bouncer, params, view }: HttpContext) {
    const { project, integration } = await this.#find(params)
    await bouncer.with(ProjectPolicy).authorize('update')
    return view.render('pages/integrations/edit', {
      project,
      integration,
      kinds: KIND_OPTIONS,
      events: EVENT_OPTIONS,
    })
  }

  async update(ctx: HttpContext) {
    const { bouncer, params, request, auth, session, response } = ctx
    const { project, integration } = await this.#find(params)
    await bouncer.with(ProjectPolicy).authorize('update')
    const input = await this.#validate(ctx, () =>
      request.validateUsing(updateIntegrationValidator, {
        meta: {
          projectId: project.id,
          integrationId: integration.id,
          webhookSecretName: project.webhookSecretName,
        },
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
