import type { HttpContext } from '@adonisjs/core/http'
import { urlFor } from '@adonisjs/core/services/url_builder'
import WorkItem, { WORK_ITEM_STATUSES } from '#models/work_item'
import Question from '#models/question'
import agentApi from '#transformers/agent_api_serializer'
import QuestionTransformer from '#transformers/question_transformer'
import Project from '#models/project'
import Agent from '#models/agent'
import AuditEvent from '#models/audit_event'
import WorkItemPolicy from '#policies/work_item_policy'
import KeysetPage from '#presenters/keyset_page'
import { createWorkItemValidator, workItemFiltersValidator } from '#validators/work_item'
import { filledParams } from '#validators/list_filters'
import BulkActionPolicy from '#policies/bulk_action_policy'
import { WORK_ITEM_BULK_KINDS } from '#models/bulk_action'

/** The work items of every project: the filtered list, creation and the detail page. */
export default class WorkItemsController {
  async index({ request, view, bouncer }: HttpContext) {
    const { before, after, ...filters } = await request.validateUsing(workItemFiltersValidator, {
      data: filledParams(request.qs()),
    })
    const page = await KeysetPage.fetch(
      WorkItem.query()
        .withScopes((scopes) => scopes.filtered(filters))
        .preload('project'),
      { before, after }
    )
    return view.render('pages/work_items/index', {
      section: 'work-items',
      page,
      links: page.links(urlFor('work_items.index'), filters),
      filters,
      projects: await Project.query().orderBy('name'),
      statuses: WORK_ITEM_STATUSES,
      canCreate: await bouncer.with(WorkItemPolicy).allows('manage'),
      bulkKinds: await BulkActionPolicy.offered(bouncer, WORK_ITEM_BULK_KINDS),
    })
  }

  async create({ request, view, bouncer }: HttpContext) {
    await bouncer.with(WorkItemPolicy).authorize('manage')
    return view.render('pages/work_items/create', {
      section: 'work-items',
      projects: await Project.query().whereNot('state', 'archived').orderBy('name'),
      projectId: request.qs().project ?? null,
    })
  }

  async store({ request, response, auth, bouncer, session }: HttpContext) {
    await bouncer.with(WorkItemPolicy).authorize('manage')
    const input = await request.validateUsing(createWorkItemValidator)
    const item = await WorkItem.createManually(
      auth.use('web').getUserOrFail(),
      {
        projectId: input.project_id,
        workType: input.work_type,
        title: input.title,
        payload: (input.payload as Record<string, unknown> | undefined) ?? {},
        priority: input.priority ?? 0,
        maxAttempts: input.max_attempts ?? null,
        dependsOnIds: (input.depends_on as number[] | undefined) ?? [],
      },
      request.ip()
    )
    session.flash('success', `Work item #${item.id} created.`)
    return response.redirect().toRoute('work_items.show', { id: item.id })
  }

  async show({ params, view, bouncer }: HttpContext) {
    const item = await WorkItem.query()
      .where('id', params.id)
      .preload('project')
      .preload('assignedAgent')
      .preload('lockedByAgent')
      .preload('approvedBy')
      .preload('dependsOn', (query) => query.orderBy('id'))
      .preload('dependants', (query) => query.orderBy('id'))
      .preload('runs', (query) => query.orderBy('id', 'desc').preload('agent'))
      .firstOrFail()
    const trail = await AuditEvent.query()
      .where('subjectType', 'work_item')
      .where('subjectId', item.id)
      .orderBy('id', 'desc')
      .limit(100)
    const policy = bouncer.with(WorkItemPolicy)
    const enabledAgents = await Agent.query().where('enabled', true).orderBy('key')
    return view.render('pages/work_items/show', {
      section: 'work-items',
      item,
      changedAfterAcceptance: item.runs.filter((run) => run.prChangedAt !== null),
      trail,
      conversation: await agentApi.serialize(
        QuestionTransformer.transform(await Question.conversationOf(item.id)).useVariant(
          'conversation'
        )
      ),
      actors: await AuditEvent.actorNames(trail),
      // Only agents that could take it are offered for a pin.
      agents: enabledAgents.filter((agent) => agent.accepts(item.workType)),
      can: { approve: await policy.allows('approve'), manage: await policy.allows('manage') },
    })
  }
}
