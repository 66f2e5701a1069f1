import type { HttpContext } from '@adonisjs/core/http'
import Problem from '#exceptions/problem'
import ClaimService from '#services/claims/claim_service'
import RunLifecycle from '#services/runs/run_lifecycle'
import { claimValidator } from '#validators/claim'
import agentApi from '#transformers/agent_api_serializer'
import ClaimTransformer from '#transformers/claim_transformer'
import { OpenConnections, rateLimitHeaders } from '#services/quotas'
import shutdown from '#infrastructure/shutdown'

/** Claims waiting for work in this process, per agent. */
const longPolls = new OpenConnections()

/** Seconds an agent at a limit should wait before asking again. */
const AT_LIMIT_RETRY_AFTER = '30'
/** Seconds agents should wait while the kill switch is on. */
const DISABLED_RETRY_AFTER = '60'

/** POST /api/v1/claims (spec §5): the agent asks for its next piece of work. */
export default class ClaimsController {
  async store({ request, response, auth }: HttpContext) {
    const agent = auth.use('api').getUserOrFail()
    const input = await request.validateUsing(claimValidator)
    if (agent.isDraining) {
      throw new Problem(
        409,
        'Conflict',
        `Agent "${agent.key}" is draining: it finishes what it runs and claims nothing new.`,
        {},
        undefined,
        { type: 'https://gatehouse.dev/problems/draining', code: 'draining' }
      )
    }

    // A client that hangs up stops the wait instead of claiming work nobody will receive.
    const hangUp = new AbortController()
    response.response.once('close', () => hangUp.abort())

    // Long-polls per agent: at most its max_concurrency waiting at once; one more is 429 now.
    const waitSeconds = input.wait_seconds ?? 0
    const release = waitSeconds > 0 ? longPolls.enter(agent.id, agent.maxConcurrency) : () => {}
    if (!release) {
      throw new Problem(
        429,
        'Too Many Requests',
        `Agent "${agent.key}" already has ${agent.maxConcurrency} claims waiting (max_concurrency).`,
        { ...rateLimitHeaders(agent.maxConcurrency, 0, 1, 1), 'Retry-After': '1' }
      )
    }
    let result: Awaited<ReturnType<typeof ClaimService.claimWaiting>>
    try {
      // A stop answers waiting claims 204 at once, so agents retry elsewhere or later.
      result = await ClaimService.claimWaiting(
        agent,
        { workTypes: input.work_types, projectSlug: input.project },
        waitSeconds,
        AbortSignal.any([hangUp.signal, shutdown.signal])
      )
    } finally {
      release()
    }

    switch (result.outcome) {
      case 'claimed': {
        const { run, workItem, project, leaseSeconds, earlier } = result
        // Nobody will receive this claim: give the item back now rather than at lease expiry,
        // unless the agent sent an Idempotency-Key, with which its retry receives this answer.
        if (hangUp.signal.aborted && !request.header('idempotency-key')) {
          await RunLifecycle.release(run, agent, 'the agent hung up before the claim was answered')
          return
        }
        return response.created(
          await agentApi.serialize(
            ClaimTransformer.transform(run, workItem, project, leaseSeconds, earlier)
          )
        )
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
