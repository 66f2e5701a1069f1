import db from '@adonisjs/lucid/services/db'
import { compose } from '@adonisjs/core/helpers'
import { column, hasMany } from '@adonisjs/lucid/orm'
import type { HasMany } from '@adonisjs/lucid/types/relations'
import type { QueryClientContract } from '@adonisjs/lucid/types/database'
import { ProjectSchema } from '#database/schema'
import { jsonColumn } from '#models/json_column'
import WorkItem from '#models/work_item'
import Run from '#models/run'
import Integration from '#models/integration'
import Policy, { type ProjectPolicies } from '#models/policy'
import AuditEvent from '#models/audit_event'
import { withAuditedChanges } from '#models/mixins/audited_changes'
import WebhookDelivery from '#models/webhook_delivery'
import type User from '#models/user'
import AgentTokensProvider from '#infrastructure/agent_tokens_provider'
import type { Actor } from '#models/audit_event'
import DuplicateValue from '#exceptions/duplicate_value'

const UNIQUE_SLUG = 'projects_slug_unique'

export const PROJECT_STATES = ['draft', 'active', 'paused', 'archived'] as const
export type ProjectState = (typeof PROJECT_STATES)[number]
export type BranchStatus = 'unknown' | 'passing' | 'failing'
/** The project's GitHub connection as last seen by a call to GitHub. */
export type GitHubStatus =
  'unknown' | 'connected' | 'token_missing' | 'token_rejected' | 'unreachable'

/** gates_config (spec §4): which gates a project uses and their parameters. */
export type GatesConfig = {
  wip_limit?: number | null
  require_approval?: boolean
  monthly_budget_usd?: number | null
  default_branch_green?: boolean
  tests_reported?: boolean
  max_cost_usd?: number | null
  human_review?: boolean
  required_checks?: string[]
  e2e_check_name?: string
  min_approvals?: number | null
}

/** What a maintainer sets on the project form. */
export type ProjectSettings = {
  name: string
  slug: string
  brief: string
  repoFullName: string
  repoDefaultBranch: string
  githubTokenSecretName: string | null
  webhookSecretName: string | null
  e2ERequired: boolean
  gatesConfig: GatesConfig
  policies: Partial<ProjectPolicies>
}

/** What a project API key may do: read its project's work items, and change them. */
export const PROJECT_KEY_SCOPES = ['items:read', 'items:write'] as const
export type ProjectKeyScope = (typeof PROJECT_KEY_SCOPES)[number]

export default class Project extends compose(ProjectSchema, withAuditedChanges()) {
  declare state: ProjectState
  declare defaultBranchStatus: BranchStatus
  declare githubStatus: GitHubStatus

  /**
   * Project API keys (`ghk_…`) of integrations managing this project's work items; their
   * abilities are scopes (PROJECT_KEY_SCOPES). Only sha256 of the secret is stored.
   */
  static apiKeys = new AgentTokensProvider({
    tokenableModel: Project,
    table: 'project_api_keys',
    type: 'project_api_key',
    prefix: 'ghk_',
  })

  @jsonColumn()
  declare gatesConfig: GatesConfig

  // The generated schema maps this property to "e_2_e_required"; the column is e2e_required.
  @column({ columnName: 'e2e_required' })
  declare e2ERequired: boolean

  @hasMany(() => WorkItem)
  declare workItems: HasMany<typeof WorkItem>

  @hasMany(() => Run)
  declare runs: HasMany<typeof Run>

  @hasMany(() => Integration)
  declare integrations: HasMany<typeof Integration>

  @hasMany(() => Policy)
  declare policies: HasMany<typeof Policy>

  @hasMany(() => AuditEvent)
  declare auditEvents: HasMany<typeof AuditEvent>

  @hasMany(() => WebhookDelivery)
  declare webhookDeliveries: HasMany<typeof WebhookDelivery>

  /** Issues a project API key with these scopes; its plaintext is readable once, from the result. */
  async issueApiKey(
    by: Actor | 'system',
    key: { name: string; scopes: ProjectKeyScope[]; expiresIn?: string | number | null },
    ip?: string | null
  ) {
    return db.transaction(async (trx) => {
      const issued = await Project.apiKeys.createWithin(trx, this, {
        name: key.name,
        expiresIn: key.expiresIn,
        abilities: key.scopes,
      })
      await AuditEvent.record(trx, {
        actor: by,
        action: 'project.api_key_issued',
        subject: this,
        details: { key_id: Number(issued.identifier), name: key.name, scopes: key.scopes },
        ipAddress: ip ?? null,
      })
      return issued
    })
  }

  /** Revokes one of this project's API keys; false when it has no such key. */
  async revokeApiKey(by: Actor | 'system', keyId: number, ip?: string | null) {
    return db.transaction(async (trx) => {
      if (!(keyId <= 2_147_483_647)) return false
      const rows: { id: number; name: string | null }[] = await trx
        .from('project_api_keys')
        .where({ tokenable_id: this.id, id: keyId })
        .delete()
        .returning(['id', 'name'])
      if (rows.length === 0) return false
      await AuditEvent.record(trx, {
        actor: by,
        action: 'project.api_key_revoked',
        subject: this,
        details: { key_id: keyId, name: rows[0].name },
        ipAddress: ip ?? null,
      })
      return true
    })
  }

  /** This project's API keys (never their secrets), newest first. */
  async apiKeySummaries() {
    const rows = await db
      .from('project_api_keys')
      .where('tokenable_id', this.id)
      .orderBy('id', 'desc')
      .select('id', 'name', 'abilities', 'created_at', 'last_used_at', 'expires_at')
    return rows.map((row) => ({
      id: row.id as number,
      name: row.name as string | null,
      scopes: JSON.parse(row.abilities) as string[],
      createdAt: row.created_at as Date,
      lastUsedAt: row.last_used_at as Date | null,
      expiresAt: row.expires_at as Date | null,
    }))
  }

  /** The ids of the projects with these slugs, sorted (slugs naming no project are left out). */
  static async idsOfSlugs(slugs: string[], client?: QueryClientContract): Promise<number[]> {
    if (slugs.length === 0) return []
    const rows: { id: number }[] = await (client ?? db)
      .from('projects')
      .whereIn('slug', slugs)
      .orderBy('id')
      .select('id')
    return rows.map((row) => row.id)
  }

  /** A maintainer puts a repository under Gatehouse's control, with its gates and policies. */
  static async register(
    settings: ProjectSettings,
    state: 'draft' | 'active',
    actor: User,
    ipAddress: string | null
  ) {
    return DuplicateValue.guard('slug', UNIQUE_SLUG, () =>
      Project.auditedStep(
        actor,
        'project.created',
        async (trx) => {
          const { policies, ...attributes } = settings
          const project = await Project.create({ ...attributes, state }, { client: trx })
          await Policy.replaceForProject(trx, project.id, policies)
          return {
            subject: project,
            details: { slug: project.slug, state, gates_config: project.gatesConfig, policies },
            result: project,
          }
        },
        { ip: ipAddress }
      )
    )
  }

  /**
   * A maintainer edits the project. The row is locked so that concurrent edits are audited in
   * order; a loosened gate may make items claimable, so waiting claimers look again.
   */
  async reconfigure(settings: ProjectSettings, actor: User, ipAddress: string | null) {
    await DuplicateValue.guard('slug', UNIQUE_SLUG, () =>
      this.changeAudited(
        actor,
        'project.updated',
        async (trx) => {
          const policiesBefore = await Policy.ownValues(this.id, trx)
          const { policies, ...attributes } = settings
          Object.assign(this, attributes)
          const changed = Object.keys(this.$dirty)
          await Policy.replaceForProject(trx, this.id, policies)
          const policiesAfter = await Policy.ownValues(this.id, trx)
          const policiesChanged = JSON.stringify(policiesBefore) !== JSON.stringify(policiesAfter)
          if (changed.length === 0 && !policiesChanged) return { unchanged: true }
          return {
            details: {
              changed: policiesChanged ? [...changed, 'policies'] : changed,
              ...(changed.includes('gatesConfig') ? { gates_config: this.gatesConfig } : {}),
              ...(policiesChanged ? { policies: { from: policiesBefore, to: policiesAfter } } : {}),
            },
            announce: this.id,
          }
        },
        { ip: ipAddress }
      )
    )
  }

  /** draft → active → paused → archived, or back: audited; becoming active wakes claimers. */
  async changeState(state: ProjectState, actor: User, ipAddress: string | null) {
    await this.changeAudited(
      actor,
      'project.state_changed',
      async () => {
        const from = this.state
        if (from === state) return { unchanged: true }
        this.state = state
        return { details: { from, to: state }, announce: state === 'active' && this.id }
      },
      { ip: ipAddress }
    )
  }
}
