import type { HttpContext } from '@adonisjs/core/http'
import { urlFor } from '@adonisjs/core/services/url_builder'
import Run, { RUN_STATUSES } from '#models/run'
import RunLog from '#models/run_log'
import Project from '#models/project'
import Agent from '#models/agent'
import RunPolicy from '#policies/run_policy'
import KeysetPage from '#presenters/keyset_page'
import { runFiltersValidator } from '#validators/run'
import { filledParams } from '#validators/list_filters'
import BulkActionPolicy from '#policies/bulk_action_policy'
import { RUN_BULK_KINDS } from '#models/bulk_action'

/** How many of a running run's last lines its page shows before following the rest live. */
const TAIL_LINES = 200

/** Runs: the filtered list and the detail page (costs, tests, gates, review, logs). */
export default class RunsController {
  async index({ request, view, bouncer }: HttpContext) {
    const { before, after, ...filters } = await request.validateUsing(runFiltersValidator, {
      data: filledParams(request.qs()),
    })
    const page = await KeysetPage.fetch(
      Run.query()
        .withScopes((scopes) => scopes.filtered(filters))
        .preload('project')
        .preload('agent')
        .preload('workItem'),
      { before, after }
    )
    return view.render('pages/runs/index', {
      section: 'runs',
      page,
      links: page.links(urlFor('runs.index'), filters),
      filters,
      projects: await Project.query().orderBy('name'),
      agents: await Agent.query().orderBy('key'),
      statuses: RUN_STATUSES,
      bulkKinds: await BulkActionPolicy.offered(bouncer, RUN_BULK_KINDS),
    })
  }

  async show({ params, view, bouncer }: HttpContext) {
    const run = await Run.query()
      .where('id', params.id)
      .preload('project')
      .preload('agent')
      .preload('workItem')
      .preload('reviewedBy')
      .firstOrFail()
    // A running run shows its tail and follows the rest live; a finished one its first page.
    const logs = await RunLog.query()
      .where('runId', run.id)
      .orderBy('seq', run.isRunning ? 'desc' : 'asc')
      .limit(TAIL_LINES)
    if (run.isRunning) logs.reverse()
    const policy = bouncer.with(RunPolicy)
    return view.render('pages/runs/show', {
      section: 'runs',
      run,
      logs,
      moreLogs: run.lastLogSeq > TAIL_LINES,
      awaitingReview:
        run.status === 'succeeded' &&
        (run.gateStatus === 'pending' || run.prChangedAt !== null) &&
        (run.gateResults ?? []).some(
          (verdict) =>
            ['human_review', 'protected_paths'].includes(verdict.gate) &&
            verdict.verdict === 'pending'
        ),
      can: { review: await policy.allows('review'), manage: await policy.allows('manage') },
    })
  }
}
