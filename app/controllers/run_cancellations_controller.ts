import type { HttpContext } from '@adonisjs/core/http'
import Run from '#models/run'
import WorkItem from '#models/work_item'
import RunPolicy from '#policies/run_policy'

/**
 * POST /runs/:id/cancellation: cancels the run's work item, which asks the running run to
 * stop (the agent learns it on its next heartbeat).
 */
export default class RunCancellationsController {
  async store({ params, request, response, auth, bouncer, session }: HttpContext) {
    await bouncer.with(RunPolicy).authorize('manage')
    const run = await Run.findOrFail(params.id)
    const item = await WorkItem.findOrFail(run.workItemId)
    await item.cancel(auth.use('web').getUserOrFail(), request.ip(), { runningRunId: run.id })
    session.flash(
      'success',
      `Cancelled work item #${item.id}; the agent is told to stop run #${run.id}.`
    )
    return response.redirect().back()
  }
}
