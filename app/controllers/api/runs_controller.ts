import type { HttpContext } from '@adonisjs/core/http'
import Run from '#models/run'
import RunFeedback, { isUnsuccessful } from '#services/runs/run_feedback'

/** GET /api/v1/runs/:id: the agent's own run, with its gate verdicts and whether to stop. */
export default class RunsController {
  async show({ params, auth }: HttpContext) {
    const run = await Run.findForAgentOrFail(auth.use('api').getUserOrFail(), params.id)
    return {
      ...run.toAgentJson(),
      // The feedback its claim answer carried, and once judged, what this run itself is told.
      feedback: await RunFeedback.before(run),
      verdict: isUnsuccessful(run) ? RunFeedback.attemptOf(run) : null,
    }
  }
}
