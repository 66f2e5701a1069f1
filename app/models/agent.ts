import db from '@adonisjs/lucid/services/db'
import { DateTime } from 'luxon'
import { column, hasMany, scope } from '@adonisjs/lucid/orm'
import { compose } from '@adonisjs/core/helpers'
import type { TransactionClientContract } from '@adonisjs/lucid/types/database'
import type { HasMany } from '@adonisjs/lucid/types/relations'
import { AgentSchema } from '#database/schema'
import { jsonColumn } from '#models/json_column'
import Run from '#models/run'
import WorkItem from '#models/work_item'
import AuditEvent from '#models/audit_event'
import {
  inTransaction,
  withAuditedChanges,
  type Actor,
  type AuditOptions,
} from '#models/mixins/audited_changes'
import AgentTokensProvider from '#infrastructure/agent_tokens_provider'
import { MAX_INTEGER } from '#database/column_limits'

/** How fresh `last_seen_at` is kept. */
const SEEN_EVERY_SECONDS = 30
/**
 * The stale last_seen_at this process last replaced, per agent (by id and creation time: ids
 * are reused after a truncate): the requests of a burst all loaded that same value, and only
 * the first of them writes.
 */
const seenReplaced = new Map<string, number>()

/** What an agent accepts: work types (`*` for all) and free tags. */
export type AgentCapabilities = { work_types: string[]; tags: string[] }

/** What is set about an agent, in the admin pages or an agent definition (the key only when registering it). */
export type AgentProfile = {
  name: string
  description: string
  capabilities: AgentCapabilities
  modelName: string | null
  modelVersion: string | null
  /** The agent's own GitHub account (its approvals never count); left out: unchanged. */
  githubLogin?: string | null
  maxConcurrency: number
  /** The only projects it may claim from (sorted ids); empty: every project. */
  projectIds: number[]
}

const PROFILE_FIELDS = [
  'name',
  'description',
  'capabilities',
  'modelName',
  'modelVersion',
  'githubLogin',
  'maxConcurrency',
  'projectIds',
] as const

/** How busy an agent is: its running runs against its max_concurrency. */
export type AgentLoad = { running: number; maxConcurrency: number; freeSlots: number }

/** A token's row as the admin pages list it (never its secret or hash). */
export type AgentTokenSummary = {
  id: number
  name: string | null
  createdAt: Date
  lastUsedAt: Date | null
  expiresAt: Date | null
}

export default class Agent extends compose(AgentSchema, withAuditedChanges()) {
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
   * loaded costs nothing; concurrent requests that loaded the same stale value leave it to
   * the first of them, and the conditional update covers the other processes.
   */
  async markSeen() {
    if (this.lastSeenAt && this.lastSeenAt > DateTime.now().minus({ seconds: SEEN_EVERY_SECONDS }))
      return
    const key = `${this.id}:${this.createdAt?.valueOf()}`
    const stale = this.lastSeenAt?.toMillis() ?? 0
    if (seenReplaced.get(key) === stale) return
    seenReplaced.set(key, stale)
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
    by: Actor,
    attributes: AgentProfile & { key: string; enabled?: boolean },
    options: AuditOptions = {}
  ) {
    const { key, enabled = true, ...profile } = attributes
    return Agent.auditedStep(
      by,
      'agent.created',
      async (trx) => {
        const agent = await Agent.create({ key, ...profile, enabled }, { client: trx })
        return {
          subject: agent,
          details: { key, ...profileDetails(profile), enabled },
          result: agent,
        }
      },
      options
    )
  }

  /**
   * Sets the profile; returns the fields that differed (none: nothing written, nothing audited).
   * More capabilities or concurrency may make items claimable for this agent.
   */
  async updateProfile(by: Actor, profile: AgentProfile, options: AuditOptions = {}) {
    let changed: (keyof AgentProfile)[] = []
    await this.changeAudited(
      by,
      'agent.updated',
      async () => {
        changed = PROFILE_FIELDS.filter(
          (field) => canonical(this[field]) !== canonical(profile[field])
        )
        if (changed.length === 0) return { unchanged: true }
        const before = profileDetails(this)
        this.name = profile.name
        this.description = profile.description
        this.capabilities = profile.capabilities
        this.modelName = profile.modelName
        this.modelVersion = profile.modelVersion
        if (profile.githubLogin !== undefined) this.githubLogin = profile.githubLogin
        this.maxConcurrency = profile.maxConcurrency
        this.projectIds = profile.projectIds
        return {
          details: { fields: changed, from: before, to: profileDetails(this) },
          announce: this.enabled,
        }
      },
      options
    )
    return changed
  }

  /** Returns false when the agent already was enabled (and not draining). Enabling ends a drain. */
  async enable(by: Actor, options: AuditOptions & { reason?: string } = {}) {
    return this.changeAudited(
      by,
      'agent.enabled',
      async () => {
        if (this.enabled && !this.drainingSince) return { unchanged: true }
        this.enabled = true
        this.drainingSince = null
        return { details: options.reason ? { reason: options.reason } : {}, announce: true }
      },
      options
    )
  }

  get isDraining() {
    return this.drainingSince !== null && this.drainingSince !== undefined
  }

  /**
   * Drain: the agent finishes what it runs but claims nothing new (its claims are 409
   * `draining`) until the drain ends. False when it already was draining.
   */
  async drain(by: Actor, options: AuditOptions & { reason?: string } = {}) {
    return this.changeAudited(
      by,
      'agent.drain_started',
      async () => {
        if (this.drainingSince) return { unchanged: true }
        this.drainingSince = DateTime.now()
        return { details: options.reason ? { reason: options.reason } : {} }
      },
      options
    )
  }

  /** Ends a drain: the agent claims again. False when it was not draining. */
  async endDrain(by: Actor, options: AuditOptions = {}) {
    return this.changeAudited(
      by,
      'agent.drain_ended',
      async () => {
        if (!this.drainingSince) return { unchanged: true }
        this.drainingSince = null
        return { announce: true }
      },
      options
    )
  }

  /**
   * Adds each agent's running count to a listing in one subselect (backed by the partial
   * index of running runs), so that `runningCount()` asks nothing more per agent.
   */
  static withLoad = scope((query) => {
    query
      .select('agents.*')
      .select(
        db.raw(
          `(select count(*)::int from runs where runs.agent_id = agents.id and runs.status = 'running') as running_count`
        )
      )
  })

  /** How many runs of this agent are still running: as `withLoad` read them, else counted now. */
  async runningCount() {
    if (this.$extras.running_count !== undefined) return Number(this.$extras.running_count)
    const [row] = await db
      .from('runs')
      .where({ agent_id: this.id, status: 'running' })
      .count('* as n')
    return Number(row.n)
  }

  /** Its running runs against max_concurrency; never fewer than 0 free (the max may be lowered below what runs). */
  async currentLoad(): Promise<AgentLoad> {
    const running = await this.runningCount()
    return {
      running,
      maxConcurrency: this.maxConcurrency,
      freeSlots: Math.max(0, this.maxConcurrency - running),
    }
  }

  async freeSlots() {
    const { freeSlots } = await this.currentLoad()
    return freeSlots
  }

  async hasFreeSlot() {
    return (await this.freeSlots()) > 0
  }

  /**
   * A disabled agent claims nothing more; its running runs go on until they end and may still
   * heartbeat, log and report their result. False when it already was.
   */
  async disable(by: Actor, options: AuditOptions & { reason?: string } = {}) {
    return this.changeAudited(
      by,
      'agent.disabled',
      async () => {
        if (!this.enabled) return { unchanged: true }
        this.enabled = false
        return { details: options.reason ? { reason: options.reason } : {} }
      },
      options
    )
  }

  /** Issues a bearer token; its plaintext is readable once, from the returned token. */
  async issueToken(
    by: Actor,
    token: { name?: string | null; expiresIn?: string | number | null } = {},
    options: AuditOptions = {}
  ) {
    return Agent.auditedStep(
      by,
      'agent.token_issued',
      async (trx) => {
        const issued = await Agent.accessTokens.createWithin(trx, this, token)
        return {
          subject: this,
          details: {
            token_id: Number(issued.identifier),
            name: issued.name,
            expires_at: issued.expiresAt?.toISOString() ?? null,
          },
          result: issued,
        }
      },
      options
    )
  }

  /** Revokes this agent's tokens: the one with `tokenId`, or all; returns the ids revoked. */
  async revokeTokens(by: Actor, tokenId: number | 'all', options: AuditOptions = {}) {
    // One event per token revoked.
    return inTransaction(options.client, async (trx) => {
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
    github_login: profile.githubLogin ?? null,
    max_concurrency: profile.maxConcurrency,
    project_ids: profile.projectIds ?? [],
  }
}
