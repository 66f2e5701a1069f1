import { compose } from '@adonisjs/core/helpers'
import { column, hasMany } from '@adonisjs/lucid/orm'
import type { HasMany } from '@adonisjs/lucid/types/relations'
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

export default class Project extends compose(ProjectSchema, withAuditedChanges()) {
  declare state: ProjectState
  declare defaultBranchStatus: BranchStatus
  declare githubStatus: GitHubStatus

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
