import type { HttpContext } from '@adonisjs/core/http'
import { urlFor } from '@adonisjs/core/services/url_builder'
import AuditEvent from '#models/audit_event'
import Policy, { POLICY_DEFAULTS } from '#models/policy'
import Project from '#models/project'
import ProjectPolicy from '#policies/project_policy'
import ClaimOutlook from '#services/claims/claim_outlook'
import KeysetPage, { cursorValidator } from '#presenters/keyset_page'
import {
  createProjectValidator,
  projectSettings,
  updateProjectValidator,
} from '#validators/project'

/** Projects: the repositories under Gatehouse's control, their gates and policies. */
export default class ProjectsController {
  async index({ bouncer, request, view }: HttpContext) {
    await bouncer.with(ProjectPolicy).authorize('view')
    const cursor = await cursorValidator.validate(request.qs())
    const page = await KeysetPage.fetch(Project.query(), cursor)
    const outlooks = await ClaimOutlook.forProjects({
      projectIds: page.rows.map((project) => project.id),
    })
    const outlookById = new Map(outlooks.map((outlook) => [outlook.projectId, outlook]))
    return view.render('pages/projects/index', {
      projects: page.rows.map((project) => ({ project, outlook: outlookById.get(project.id)! })),
      pages: page.links(urlFor('projects.index')),
    })
  }

  async create({ bouncer, view }: HttpContext) {
    await bouncer.with(ProjectPolicy).authorize('create')
    return view.render('pages/projects/create', { defaults: POLICY_DEFAULTS })
  }

  async store({ bouncer, request, auth, session, response }: HttpContext) {
    await bouncer.with(ProjectPolicy).authorize('create')
    const input = await request.validateUsing(createProjectValidator)
    const project = await Project.register(
      projectSettings(input),
      input.state,
      auth.use('web').getUserOrFail(),
      request.ip()
    )
    session.flash('success', `Project ${project.name} created.`)
    return response.redirect().toRoute('projects.show', { id: project.id })
  }

  async show({ bouncer, params, view, session }: HttpContext) {
    const project = await Project.findOrFail(params.id)
    await bouncer.with(ProjectPolicy).authorize('view')
    const [outlook, globalOutlook, policies, ownPolicies, integrations, events] = await Promise.all(
      [
        ClaimOutlook.forProject(project.id),
        ClaimOutlook.global(),
        Policy.forProject(project.id),
        Policy.ownValues(project.id),
        project.related('integrations').query().orderBy('kind').orderBy('name'),
        AuditEvent.query().where('projectId', project.id).orderBy('id', 'desc').limit(20),
      ]
    )
    return view.render('pages/projects/show', {
      project,
      outlook,
      globalOutlook,
      policies,
      ownPolicies,
      integrations,
      events,
      actors: await AuditEvent.actorNames(events),
      apiKeys: await project.apiKeySummaries(),
      // Flashed by ProjectApiKeysController.store for this one response, then gone for good.
      issuedApiKey: session.flashMessages.get('issuedApiKey') ?? null,
    })
  }

  async edit({ bouncer, params, view }: HttpContext) {
    const project = await Project.findOrFail(params.id)
    await bouncer.with(ProjectPolicy).authorize('update')
    return view.render('pages/projects/edit', {
      project,
      policies: await Policy.ownValues(project.id),
      defaults: POLICY_DEFAULTS,
    })
  }

  async update({ bouncer, params, request, auth, session, response }: HttpContext) {
    const project = await Project.findOrFail(params.id)
    await bouncer.with(ProjectPolicy).authorize('update')
    const input = await request.validateUsing(updateProjectValidator, {
      meta: { projectId: project.id },
    })
    await project.reconfigure(projectSettings(input), auth.use('web').getUserOrFail(), request.ip())
    session.flash('success', 'Project saved.')
    return response.redirect().toRoute('projects.show', { id: project.id })
  }
}
