import type { TransactionClientContract } from '@adonisjs/lucid/types/database'
import { belongsTo } from '@adonisjs/lucid/orm'
import type { BelongsTo } from '@adonisjs/lucid/types/relations'
import { PolicySchema } from '#database/schema'
import { jsonColumn } from '#models/json_column'
import Project from '#models/project'

/** The policies of spec §4 with their defaults; a project's rows override them. */
export const POLICY_DEFAULTS = {
  max_attempts: 3,
  lease_seconds: 600,
  max_run_seconds: 4 * 60 * 60,
  retry_backoff_seconds: 30,
  ci_timeout_minutes: 60,
  merge_strategy: 'squash' as 'merge' | 'squash' | 'rebase',
  intake_label: 'agent-ready',
  report_to_github: true,
  /** Globs of paths a PR may change only with a human review; [] turns the gate off. */
  protected_paths: ['.github/workflows/**', '.github/actions/**'] as string[],
}
export type ProjectPolicies = typeof POLICY_DEFAULTS
export type PolicyKey = keyof ProjectPolicies

export default class Policy extends PolicySchema {
  @jsonColumn()
  declare value: unknown

  @belongsTo(() => Project)
  declare project: BelongsTo<typeof Project>

  /** A project's effective policies: its own values over the defaults. */
  static async forProject(
    projectId: number,
    client?: TransactionClientContract
  ): Promise<ProjectPolicies> {
    const rows = await this.query({ client }).where('projectId', projectId)
    return this.withDefaults(Object.fromEntries(rows.map((row) => [row.key, row.value])))
  }

  /** Effective policies from a project's own values (key → value, as stored); unknown keys are ignored. */
  static withDefaults(own: Record<string, unknown>): ProjectPolicies {
    const known = Object.entries(own).filter(([key]) => key in POLICY_DEFAULTS)
    return { ...POLICY_DEFAULTS, ...Object.fromEntries(known) }
  }

  /** A project's own values (the rows it has), without the defaults. */
  static async ownValues(projectId: number, client?: TransactionClientContract) {
    const rows = await this.query({ client }).where('projectId', projectId).orderBy('key')
    return Object.fromEntries(rows.map((row) => [row.key, row.value])) as Partial<ProjectPolicies>
  }

  /** Makes the project's rows exactly `values`: keys left out fall back to their defaults. */
  static async replaceForProject(
    trx: TransactionClientContract,
    projectId: number,
    values: Partial<ProjectPolicies>
  ) {
    const keys = Object.keys(values)
    const stale = trx.from('policies').where('project_id', projectId)
    if (keys.length > 0) stale.whereNotIn('key', keys)
    await stale.delete()
    for (const [key, value] of Object.entries(values)) {
      await trx.rawQuery(
        `insert into policies (project_id, key, value) values (?, ?, ?::jsonb)
         on conflict (project_id, key) do update set value = excluded.value, updated_at = now()
         where policies.value is distinct from excluded.value`,
        [projectId, key, JSON.stringify(value)]
      )
    }
  }
}
