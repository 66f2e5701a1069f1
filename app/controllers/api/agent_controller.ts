import type { HttpContext } from '@adonisjs/core/http'
import Run from '#models/run'

/** GET /api/v1/agent (spec §5): who the token belongs to, its limits and what it is running. */
export default class AgentController {
  async show({ auth }: HttpContext) {
    const agent = auth.use('api').getUserOrFail()
    const running = await Run.query()
      .where('agentId', agent.id)
      .where('status', 'running')
      .preload('workItem')
      .orderBy('id')

    return {
      agent: {
        id: agent.id,
        key: agent.key,
        name: agent.name,
        description: agent.description,
        capabilities: agent.capabilities,
        model_name: agent.modelName,
        model_version: agent.modelVersion,
        github_login: agent.githubLogin,
        enabled: agent.enabled,
        draining: agent.isDraining,
        draining_since: agent.drainingSince?.toUTC().toISO() ?? null,
        last_seen_at: agent.lastSeenAt?.toUTC().toISO() ?? null,
      },
      limits: {
        max_concurrency: agent.maxConcurrency,
        running: running.length,
        available: Math.max(0, agent.maxConcurrency - running.length),
      },
      running_runs: running.map((run) => ({
        id: run.id,
        attempt: run.attempt,
        started_at: run.startedAt.toUTC().toISO(),
        heartbeat_at: run.heartbeatAt?.toUTC().toISO() ?? null,
        lease_expires_at: run.leaseExpiresAt.toUTC().toISO(),
        cancel_requested: run.cancelRequestedAt !== null,
        work_item: {
          id: run.workItem.id,
          work_type: run.workItem.workType,
          title: run.workItem.title,
        },
      })),
    }
  }
}
