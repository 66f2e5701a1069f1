import { urlFor } from '@adonisjs/core/services/url_builder'
import type { HttpContext } from '@adonisjs/core/http'
import Run from '#models/run'
import RunLog from '#models/run_log'
import KeysetPage from '#presenters/keyset_page'
import { runLogPageValidator } from '#validators/run'

/** Lines per page of a run's log. */
const LINES_PER_PAGE = 500

/** GET /runs/:id/logs: a run's whole log, page by page in seq order. */
export default class RunLogsController {
  async index({ params, request, view }: HttpContext) {
    const run = await Run.query()
      .where('id', params.id)
      .preload('agent')
      .preload('workItem')
      .firstOrFail()
    const { after, before } = await request.validateUsing(runLogPageValidator, {
      data: request.qs(),
    })
    const page = await KeysetPage.fetch(
      RunLog.query().where('runId', run.id),
      { after, before },
      { column: 'seq', order: 'asc', perPage: LINES_PER_PAGE, key: (line) => line.seq }
    )
    return view.render('pages/run_logs/index', {
      section: 'runs',
      run,
      page,
      links: page.links(urlFor('runs.logs.index', { id: run.id })),
    })
  }
}
