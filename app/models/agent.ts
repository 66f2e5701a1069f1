import db from '@adonisjs/lucid/services/db'
import { DateTime } from 'luxon'
import { hasMany } from '@adonisjs/lucid/orm'
import { errors } from '@adonisjs/lucid'
import type { ModelAttributes } from '@adonisjs/lucid/types/model'
import type { HasMany } from '@adonisjs/lucid/types/relations'
import { AgentSchema } from '#database/schema'
import { jsonColumn } from '#models/json_column'
import Run from '#models/run'
import WorkItem from '#models/work_item'
import type User from '#models/user'
import AuditEvent from '#models/audit_event'
import AgentTokensProvider from '#services/agent_tokens_provider'
import Claimable from '#services/claimable'

/** How fresh `last_seen_at` is kept. */
const SEEN_EVERY_SECONDS = 30

/** What an agent accepts: work types (`*` for all) and free tags. */
export type AgentCapabilities = { work_types: string[]; tags: string[] }

/** What a person sets about an agent in the admin pages (the key only when registering it). */
export type AgentProfile = {
  name: string
  description: string
  capabilities: AgentCapabilities
  modelName: string | null
  modelVersion: string | null
  maxConcurrency: number
}

/** A token's row as the admin pages list it (never its secret or hash). */
export type AgentTokenSummary = {
  id: number
  name: string | null
  createdAt: Date
  lastUsedAt: Date | null
  expiresAt: Date | null
}

export default class Agent extends AgentSchema {
  /** Bearer tokens (`gha_…`): only sha256 of the secret is stored; shown once when issued. */
  static accessTokens = new AgentTokensProvider({
    tokenableModel: Agent,
    table: 'agent_access_tokens',
    type: 'agent_token',
    prefix: 'gha_',
  })

  @jsonColumn()
  declare capabilities: AgentCapabilities

  @hasMany(() => Run)
  declare runs: HasMany<typeof Run>

  @hasMany(() => WorkItem, { foreignKey: 'assignedAgentId' })
  declare pinnedWorkItems: HasMany<typeof WorkItem>

  @hasMany(() => WorkItem, { foreignKey: 'lockedByAgentId' })
  declare lockedWorkItems: HasMany<typeof WorkItem>

  /**
   * Records that the agent was seen, at most every 30 s: the check against the row already
   * loaded costs nothing, and the conditional update keeps concurrent requests from piling up.
   */
  async markSeen() {
    if (this.lastSeenAt && this.lastSeenAt > DateTime.now().minus({ seconds: SEEN_EVERY_SECONDS })) return
    await db.rawQuery(
      `update agents set last_seen_at = now()
        where id = ? and (last_seen_at is null or last_seen_at < now() - make_interval(secs => ?))`,
      [this.id, SEEN_EVERY_SECONDS]
    )
  }

  accepts(workType: string) {
    const types = this.capabilities?.work_types ?? []
    return types.includes('*') || types.includes(workType)
  }

  static async register(by: User, key: string, profile: AgentProfile, ip?: string | null) {
    return db.transaction(async (trx) => {
      const agent = await Agent.create({ key, ...profile, enabled: true }, { client: trx })
      await AuditEvent.record(trx, {
        actor: by,
        action: 'agent.created',
        subject: agent,
        details: { key, ...profileDetails(profile) },
        ipAddress: ip ?? null,
      })
      return agent
    })
  }

  /** More capabilities or concurrency may make items claimable for this agent. */
  async updateProfile(by: User, profile: AgentProfile, ip?: string | null) {
    await this.#audited(by, ip, 'agent.updated', async () => {
      const before = profileDetails(this)
      ;(this as Agent).merge(profile)
      return { details: { from: before, to: profileDetails(profile) }, announce: true }
    })
  }

  async enable(by: User, ip?: string | null) {
    await this.#audited(by, ip, 'agent.enabled', async () => {
      if (this.enabled) return { unchanged: true }
      this.enabled = true
      return { announce: true }
    })
  }

  /** A disabled agent claims nothing more; its running runs go on until they end. */
  async disable(by: User, ip?: string | null) {
    await this.#audited(by, ip, 'agent.disabled', async () => {
      if (!this.enabled) return { unchanged: true }
      this.enabled = false
      return {}
    })
  }

  /** Issues a bearer token and returns its plaintext: the only time it exists outside a hash. */
  async issueToken(by: User, options: { name: string; expiresInDays: number | null }, ip?: string | null) {
    return db.transaction(async (trx) => {
      const token = await Agent.accessTokens.createWithin(trx, this, {
        name: options.name,
        expiresIn: options.expiresInDays ? `${options.expiresInDays} days` : null,
      })
      await AuditEvent.record(trx, {
        actor: by,
        action: 'agent.token_issued',
        subject: this,
        details: { token_id: token.identifier, name: options.name, expires_at: token.expiresAt?.toISOString() ?? null },
        ipAddress: ip ?? null,
      })
      return token.value!.release()
    })
  }

  /** Revokes one of this agent's tokens (a token of another agent is not found: 404). */
  async revokeToken(by: User, tokenId: number, ip?: string | null) {
    await db.transaction(async (trx) => {
      const rows = await trx
        .from('agent_access_tokens')
        .where('id', tokenId)
        .where('tokenable_id', this.id)
        .delete()
        .returning(['id', 'name'])
      if (rows.length === 0) throw new errors.E_ROW_NOT_FOUND()
      await AuditEvent.record(trx, {
        actor: by,
        action: 'agent.token_revoked',
        subject: this,
        details: { token_id: rows[0].id, name: rows[0].name },
        ipAddress: ip ?? null,
      })
    })
  }

  /** This agent's tokens, newest first, as the admin pages list them. */
  async tokenSummaries(): Promise<AgentTokenSummary[]> {
    const rows = await db
      .from('agent_access_tokens')
      .where('tokenable_id', this.id)
      .orderBy('id', 'desc')
      .select('id', 'name', 'created_at', 'last_used_at', 'expires_at')
    return rows.map((row) => ({
      id: row.id,
      name: row.name,
      createdAt: row.created_at,
      lastUsedAt: row.last_used_at,
      expiresAt: row.expires_at,
    }))
  }

  async #audited(
    by: User,
    ip: string | null | undefined,
    action: string,
    change: () => Promise<{ unchanged?: boolean; announce?: boolean; details?: Record<string, unknown> }>
  ) {
    await db.transaction(async (trx) => {
      const fresh = await Agent.query({ client: trx }).where('id', this.id).forUpdate().firstOrFail()
      this.useTransaction(trx)
      ;(this as Agent).fill(fresh.$attributes as Partial<ModelAttributes<Agent>>)
      this.$hydrateOriginals()
      const outcome = await change()
      if (outcome.unchanged) return
      await this.save()
      await AuditEvent.record(trx, {
        actor: by,
        action,
        subject: this,
        details: outcome.details,
        ipAddress: ip ?? null,
      })
      if (outcome.announce && this.enabled) await Claimable.announce(trx)
    })
  }
}

function profileDetails(profile: AgentProfile) {
  return {
    name: profile.name,
    capabilities: profile.capabilities,
    model_name: profile.modelName,
    model_version: profile.modelVersion,
    max_concurrency: profile.maxConcurrency,
  }
}
