import db from '@adonisjs/lucid/services/db'
import { DateTime } from 'luxon'
import { column, hasMany } from '@adonisjs/lucid/orm'
import type { TransactionClientContract } from '@adonisjs/lucid/types/database'
import type { ModelAttributes } from '@adonisjs/lucid/types/model'
import type { HasMany } from '@adonisjs/lucid/types/relations'
import { AgentSchema } from '#database/schema'
import { jsonColumn } from '#models/json_column'
import Run from '#models/run'
import WorkItem from '#models/work_item'
import AuditEvent, { type Actor } from '#models/audit_event'
import AgentTokensProvider from '#infrastructure/agent_tokens_provider'
import { MAX_INTEGER } from '#database/column_limits'
import Claimable from '#infrastructure/claimable'

/** How fresh `last_seen_at` is kept. */
const SEEN_EVERY_SECONDS = 30

/** What an agent accepts: work types (`*` for all) and free tags. */
export type AgentCapabilities = { work_types: string[]; tags: string[] }

/** What is set about an agent, in the admin pages or an agent definition (the key only when registering it). */
export type AgentProfile = {
  name: string
  description: string
  capabilities: AgentCapabilities
  modelName: string | null
  modelVersion: string | null
  /** The agent's own GitHub account (its approvals never count). */
  githubLogin: string | null
  maxConcurrency: number
}

/** Who changes an agent: a person in the admin pages, or `'system'` (ace commands). */
export type AgentChanger = Actor | 'system'

/** The request IP to audit, and the caller's transaction to run in (else the method opens its own). */
export type ChangeOptions = { ip?: string | null; client?: TransactionClientContract }

const PROFILE_FIELDS = [
  'name',
  'description',
  'capabilities',
  'modelName',
  'modelVersion',
  'githubLogin',
  'maxConcurrency',
] as const

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

  /** The projects this agent may claim from; empty means every project. */
  @column()
  declare projectIds: number[]

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
    if (this.lastSeenAt && this.lastSeenAt > DateTime.now().minus({ seconds: SEEN_EVERY_SECONDS }))
      return
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

  /** Registers an agent (enabled unless said otherwise). */
  static async register(
    by: AgentChanger,
    attributes: AgentProfile & { key: string; enabled?: boolean },
    options: ChangeOptions = {}
  ) {
    return within(options.client, async (trx) => {
      const { key, enabled = true, ...profile } = attributes
      const agent = await Agent.create({ key, ...profile, enabled }, { client: trx })
      await AuditEvent.record(trx, {
        actor: by,
        action: 'agent.created',
        subject: agent,
        details: { key, ...profileDetails(profile), enabled },
        ipAddress: options.ip ?? null,
      })
      return agent
    })
  }

  /**
   * Sets the profile; returns the fields that differed (none: nothing written, nothing audited).
   * More capabilities or concurrency may make items claimable for this agent.
   */
  async updateProfile(by: AgentChanger, profile: AgentProfile, options: ChangeOptions = {}) {
    let changed: (keyof AgentProfile)[] = []
    await this.#audited(by, options, 'agent.updated', async () => {
      changed = PROFILE_FIELDS.filter(
        (field) => canonical(this[field]) !== canonical(profile[field])
      )
      if (changed.length === 0) return { unchanged: true }
      const before = profileDetails(this)
      ;(this as Agent).merge(Object.fromEntries(changed.map((field) => [field, profile[field]])))
      return {
        details: { fields: changed, from: before, to: profileDetails(this) },
        announce: true,
      }
    })
    return changed
  }

  /** Returns false when the agent already was enabled. */
  async enable(by: AgentChanger, options: ChangeOptions & { reason?: string } = {}) {
    return this.#audited(by, options, 'agent.enabled', async () => {
      if (this.enabled) return { unchanged: true }
      this.enabled = true
      return { details: options.reason ? { reason: options.reason } : {}, announce: true }
    })
  }

  /** A disabled agent claims nothing more; its running runs go on until they end. False when it already was. */
  async disable(by: AgentChanger, options: ChangeOptions & { reason?: string } = {}) {
    return this.#audited(by, options, 'agent.disabled', async () => {
      if (!this.enabled) return { unchanged: true }
      this.enabled = false
      return { details: options.reason ? { reason: options.reason } : {} }
    })
  }

  /** Issues a bearer token; its plaintext is readable once, from the returned token. */
  async issueToken(
    by: AgentChanger,
    token: { name?: string | null; expiresIn?: string | number | null } = {},
    options: ChangeOptions = {}
  ) {
    return within(options.client, async (trx) => {
      const issued = await Agent.accessTokens.createWithin(trx, this, token)
      await AuditEvent.record(trx, {
        actor: by,
        action: 'agent.token_issued',
        subject: this,
        details: {
          token_id: Number(issued.identifier),
          name: issued.name,
          expires_at: issued.expiresAt?.toISOString() ?? null,
        },
        ipAddress: options.ip ?? null,
      })
      return issued
    })
  }

  /** Revokes this agent's tokens: the one with `tokenId`, or all; returns the ids revoked. */
  async revokeTokens(by: AgentChanger, tokenId: number | 'all', options: ChangeOptions = {}) {
    return within(options.client, async (trx) => {
      const query = trx.from('agent_access_tokens').where('tokenable_id', this.id)
      if (tokenId !== 'all') {
        // An id past the integer column's range names no token (Postgres would refuse the comparison).
        if (tokenId > MAX_INTEGER) return []
        query.where('id', tokenId)
      }
      const rows: { id: number; name: string | null }[] = await query
        .delete()
        .returning(['id', 'name'])
      for (const row of rows) {
        await AuditEvent.record(trx, {
          actor: by,
          action: 'agent.token_revoked',
          subject: this,
          details: { token_id: row.id, name: row.name },
          ipAddress: options.ip ?? null,
        })
      }
      return rows.map((row) => row.id)
    })
  }

  /** This agent's tokens (never their secrets or hashes), newest first. */
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

  /** Whether the agent holds a token that still works. */
  async hasUsableToken(client?: TransactionClientContract) {
    const row = await (client ?? db)
      .from('agent_access_tokens')
      .where('tokenable_id', this.id)
      .where((query) => query.whereNull('expires_at').orWhere('expires_at', '>', new Date()))
      .first()
    return Boolean(row)
  }

  /** Applies a change to the row locked afresh; returns false (and writes nothing) when there was none. */
  async #audited(
    by: AgentChanger,
    options: ChangeOptions,
    action: string,
    change: () => Promise<{
      unchanged?: boolean
      announce?: boolean
      details?: Record<string, unknown>
    }>
  ) {
    return within(options.client, async (trx) => {
      const fresh = await Agent.query({ client: trx })
        .where('id', this.id)
        .forUpdate()
        .firstOrFail()
      this.useTransaction(trx)
      ;(this as Agent).fill(fresh.$attributes as Partial<ModelAttributes<Agent>>)
      this.$hydrateOriginals()
      const outcome = await change()
      if (outcome.unchanged) return false
      await this.save()
      await AuditEvent.record(trx, {
        actor: by,
        action,
        subject: this,
        details: outcome.details,
        ipAddress: options.ip ?? null,
      })
      if (outcome.announce && this.enabled) await Claimable.announce(trx)
      return true
    })
  }
}

/** In the caller's transaction when given one (`agents:seed` is all-or-nothing), else in its own. */
function within<T>(
  client: TransactionClientContract | undefined,
  work: (trx: TransactionClientContract) => Promise<T>
) {
  return client ? work(client) : db.transaction(work)
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

function profileDetails(profile: AgentProfile) {
  return {
    name: profile.name,
    capabilities: profile.capabilities,
    model_name: profile.modelName,
    model_version: profile.modelVersion,
    github_login: profile.githubLogin,
    max_concurrency: profile.maxConcurrency,
  }
}
