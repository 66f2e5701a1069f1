import type { HttpContext } from '@adonisjs/core/http'
import Run, { runStateOf } from '#models/run'
import { heartbeatValidator } from '#validators/run'

/** POST /api/v1/runs/:id/heartbeat: extends the lease and tells the agent whether to stop. */
export default class RunHeartbeatsController {
  async store({ params, request, auth }: HttpContext) {
    const run = await Run.findForAgentOrFail(auth.use('api').getUserOrFail(), params.id)
    const { progress } = await request.validateUsing(heartbeatValidator)
    await run.heartbeat(progress)
    return {
      lease_expires_at: run.leaseExpiresAt.toUTC().toISO(),
      cancel_requested: run.cancelRequestedAt !== null,
      run_state: runStateOf(run),
    }
  }
}
