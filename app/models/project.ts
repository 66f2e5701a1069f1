import { column, hasMany } from '@adonisjs/lucid/orm'
import type { HasMany } from '@adonisjs/lucid/types/relations'
import { ProjectSchema } from '#database/schema'
import { jsonColumn } from '#models/json_column'
import WorkItem from '#models/work_item'
import Run from '#models/run'
import Integration from '#models/integration'
import Policy from '#models/policy'
import AuditEvent from '#models/audit_event'
import WebhookDelivery from '#models/webhook_delivery'

export const PROJECT_STATES = ['draft', 'active', 'paused', 'archived'] as const
export type ProjectState = (typeof PROJECT_STATES)[number]
export type BranchStatus = 'unknown' | 'passing' | 'failing'
/** The project's GitHub connection as last seen by a call to GitHub. */
export type GitHubStatus = 'unknown' | 'connected' | 'token_missing' | 'token_rejected' | 'unreachable'

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

export default class Project extends ProjectSchema {
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
}
