import type { HttpContext } from '@adonisjs/core/http'
import Problem from '#exceptions/problem'
import ClaimService from '#services/claims/claim_service'
import RunLifecycle from '#services/runs/run_lifecycle'
import RunFeedback from '#services/runs/run_feedback'
import Question from '#models/question'
import { claimValidator } from '#validators/claim'

/** Seconds an agent at a limit should wait before asking again. */
const AT_LIMIT_RETRY_AFTER = '30'
/** Seconds agents should wait while the kill switch is on. */
const DISABLED_RETRY_AFTER = '60'

/** POST /api/v1/claims (spec §5): the agent asks for its next piece of work. */
export default class ClaimsController {
  async store({ request, response, auth }: HttpContext) {
    const agent = auth.use('api').getUserOrFail()
    const input = await request.validateUsing(claimValidator)

    // A client that hangs up stops the wait instead of claiming work nobody will receive.
    const hangUp = new AbortController()
    response.response.once('close', () => hangUp.abort())

    const result = await ClaimService.claimWaiting(
      agent,
      { workTypes: input.work_types, projectSlug: input.project },
      input.wait_seconds ?? 0,
      hangUp.signal
    )

    switch (result.outcome) {
      case 'claimed': {
        const { run, workItem, project, leaseSeconds } = result
        if (hangUp.signal.aborted) {
          // Nobody will receive this claim: give the item back now rather than at lease expiry.
          await RunLifecycle.release(run, agent, 'the agent hung up before the claim was answered')
          return
        }
        return response.created({
          run: {
            id: run.id,
            attempt: run.attempt,
            lease_expires_at: run.leaseExpiresAt.toUTC().toISO(),
            heartbeat_interval_seconds: Math.max(1, Math.floor(leaseSeconds / 3)),
          },
          work_item: {
            id: workItem.id,
            project: {
              slug: project.slug,
              repo_full_name: project.repoFullName,
              repo_default_branch: project.repoDefaultBranch,
            },
            work_type: workItem.workType,
            title: workItem.title,
            payload: workItem.payload,
            priority: workItem.priority,
          },
          // What earlier attempts teach this one (null on a first attempt): read after the claim committed.
          feedback: await RunFeedback.before(run),
          // Questions the agents asked about this item and the answers they got, oldest first.
          conversation: await Question.conversationOf(workItem.id),
        })
      }
      case 'none':
        return response.noContent()
      case 'agent_at_limit':
        throw new Problem(
          429,
          'Too Many Requests',
          `Agent "${agent.key}" already runs ${result.running} of ${result.maxConcurrency} allowed runs.`,
          { 'Retry-After': AT_LIMIT_RETRY_AFTER }
        )
      case 'system_at_limit':
        throw new Problem(
          429,
          'Too Many Requests',
          `Gatehouse already runs ${result.running} of ${result.maxParallelRuns} allowed parallel runs.`,
          { 'Retry-After': AT_LIMIT_RETRY_AFTER }
        )
      case 'agents_disabled':
        throw new Problem(503, 'Service Unavailable', 'Agents are disabled by the kill switch.', {
          'Retry-After': DISABLED_RETRY_AFTER,
        })
      case 'agent_disabled':
        throw new Problem(403, 'Forbidden', `Agent "${agent.key}" is disabled.`)
    }
  }
}
