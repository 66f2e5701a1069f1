import UntracedTransformer from '#transformers/untraced_transformer'
import type Agent from '#models/agent'

/** An agent as the agent API shows it (GET /api/v1/agent). */
export default class AgentTransformer extends UntracedTransformer<Agent> {
  toObject() {
    const agent = this.resource
    return {
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
    }
  }
}
