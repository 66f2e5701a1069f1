import db from '@adonisjs/lucid/services/db'
import type { TransactionClientContract } from '@adonisjs/lucid/types/database'
import Agent, { type AgentCapabilities } from '#models/agent'
import AuditEvent, { type Actor } from '#models/audit_event'
import type { AgentDefinition } from '#validators/agent'

export type RegistryActor = Actor | 'system'

/** The columns an agent definition sets, with the defaults for what it leaves out. */
export function agentAttributes(definition: AgentDefinition) {
  const capabilities: AgentCapabilities = {
    work_types: definition.capabilities?.work_types ?? ['*'],
    tags: definition.capabilities?.tags ?? [],
  }
  return {
    key: definition.key,
    name: definition.name,
    description: definition.description ?? '',
    capabilities,
    modelName: definition.model_name ?? null,
    modelVersion: definition.model_version ?? null,
    maxConcurrency: definition.max_concurrency ?? 1,
  }
}

const COMPARED = ['name', 'description', 'capabilities', 'modelName', 'modelVersion', 'maxConcurrency'] as const

/**
 * Maintainers' changes to agents and their tokens (ace commands, admin pages): each writes its
 * audit event in the caller's transaction. Agents are never deleted here (their runs are
 * history); they are disabled, which the agent API answers with 403.
 */
export default class AgentRegistry {
  static async register(trx: TransactionClientContract, definition: AgentDefinition, actor: RegistryActor) {
    const agent = await Agent.create(
      { ...agentAttributes(definition), enabled: definition.enabled ?? true },
      { client: trx }
    )
    await AuditEvent.record(trx, {
      actor,
      action: 'agent.created',
      subject: agent,
      details: { key: agent.key, max_concurrency: agent.maxConcurrency },
    })
    return agent
  }

  /** Applies a definition to an existing agent; returns the fields that changed (none: no write). */
  static async update(
    trx: TransactionClientContract,
    agent: Agent,
    definition: AgentDefinition,
    actor: RegistryActor
  ) {
    const wanted = agentAttributes(definition)
    const differing = COMPARED.filter((field) => canonical(agent[field]) !== canonical(wanted[field]))
    const changed: string[] = [...differing]
    agent.useTransaction(trx)
    if (changed.length > 0) {
      agent.merge(Object.fromEntries(differing.map((field) => [field, wanted[field]])))
      await agent.save()
      await AuditEvent.record(trx, { actor, action: 'agent.updated', subject: agent, details: { fields: changed } })
    }
    if (definition.enabled !== undefined && definition.enabled !== agent.enabled) {
      await this.setEnabled(trx, agent, definition.enabled, actor)
      changed.push('enabled')
    }
    return changed
  }

  /** Returns false when the agent already was in that state. */
  static async setEnabled(
    trx: TransactionClientContract,
    agent: Agent,
    enabled: boolean,
    actor: RegistryActor,
    reason?: string
  ) {
    if (agent.enabled === enabled) return false
    agent.useTransaction(trx)
    agent.enabled = enabled
    await agent.save()
    await AuditEvent.record(trx, {
      actor,
      action: enabled ? 'agent.enabled' : 'agent.disabled',
      subject: agent,
      details: reason ? { reason } : {},
    })
    return true
  }

  /** A new bearer token; its value is readable once, from the returned token. */
  static async issueToken(
    trx: TransactionClientContract,
    agent: Agent,
    actor: RegistryActor,
    options: { name?: string | null; expiresIn?: string | number | null } = {}
  ) {
    const token = await Agent.accessTokens.createWithin(trx, agent, options)
    await AuditEvent.record(trx, {
      actor,
      action: 'agent.token_issued',
      subject: agent,
      details: { token_id: Number(token.identifier), name: token.name, expires_at: token.expiresAt ?? null },
    })
    return token
  }

  /** Revokes the agent's tokens (one by id, or all); returns the ids revoked. */
  static async revokeTokens(
    trx: TransactionClientContract,
    agent: Agent,
    actor: RegistryActor,
    tokenId?: number
  ) {
    const query = trx.from('agent_access_tokens').where('tokenable_id', agent.id)
    if (tokenId !== undefined) query.where('id', tokenId)
    const rows: { id: number }[] = await query.delete().returning('id')
    for (const { id } of rows) {
      await AuditEvent.record(trx, { actor, action: 'agent.token_revoked', subject: agent, details: { token_id: id } })
    }
    return rows.map((row) => row.id)
  }

  /** The agent's tokens (never their secrets), oldest first. */
  static async tokensOf(agent: Agent, client: TransactionClientContract | typeof db = db) {
    return client
      .from('agent_access_tokens')
      .where('tokenable_id', agent.id)
      .orderBy('id')
      .select('id', 'name', 'created_at', 'last_used_at', 'expires_at')
  }

  /** Whether the agent holds a token that still works. */
  static async hasUsableToken(trx: TransactionClientContract, agent: Agent) {
    const row = await trx
      .from('agent_access_tokens')
      .where('tokenable_id', agent.id)
      .where((query) => query.whereNull('expires_at').orWhere('expires_at', '>', new Date()))
      .first()
    return Boolean(row)
  }
}

/** JSON with object keys sorted: jsonb hands keys back in its own order. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`
  if (value && typeof value === 'object') {
    const entries = Object.entries(value).sort(([a], [b]) => a.localeCompare(b))
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonical(item)}`).join(',')}}`
  }
  return JSON.stringify(value ?? null)
}
