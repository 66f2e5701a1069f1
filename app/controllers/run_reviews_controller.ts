import type { HttpContext } from '@adonisjs/core/http'
import Run from '#models/run'
import RunLifecycle from '#services/runs/run_lifecycle'
import RunPolicy from '#policies/run_policy'
import { runReviewValidator } from '#validators/run'

/** POST /runs/:id/review: a reviewer's verdict for the run's human_review gate. */
export default class RunReviewsController {
  async store({ params, request, response, auth, bouncer, session }: HttpContext) {
    await bouncer.with(RunPolicy).authorize('review')
    const run = await Run.findOrFail(params.id)
    const { decision, note } = await request.validateUsing(runReviewValidator)
    await RunLifecycle.review(
      run,
      auth.use('web').getUserOrFail(),
      decision,
      note ?? null,
      request.ip()
    )
    session.flash('success', `Run #${run.id} ${decision === 'approved' ? 'approved' : 'rejected'}.`)
    return response.redirect().back()
  }
}
