import { compose } from '@adonisjs/core/helpers'
import type { TransactionClientContract } from '@adonisjs/lucid/types/database'
import { belongsTo } from '@adonisjs/lucid/orm'
import type { BelongsTo } from '@adonisjs/lucid/types/relations'
import { SettingSchema } from '#database/schema'
import { jsonColumn } from '#models/json_column'
import { withAuditedChanges } from '#models/mixins/audited_changes'
import User from '#models/user'
import Notifier from '#services/notifications/notifier'

export type Settings = {
  agents_enabled: boolean
  max_parallel_runs: number | null
  /** How long run log lines are kept (prune_retained_data). */
  run_log_retention_days: number
  /** How long GitHub webhook deliveries are kept. */
  webhook_delivery_retention_days: number
  /** How long idempotency keys and their stored answers are kept. */
  idempotency_key_retention_hours: number
}

const SETTING_KEYS = [
  'agents_enabled',
  'max_parallel_runs',
  'run_log_retention_days',
  'webhook_delivery_retention_days',
  'idempotency_key_retention_hours',
] as const

/** Global switches, one row per key (seeded by the migration). */
export default class Setting extends compose(SettingSchema, withAuditedChanges()) {
  static primaryKey = 'key'

  @jsonColumn()
  declare value: unknown

  @belongsTo(() => User, { foreignKey: 'updatedByUserId' })
  declare updatedBy: BelongsTo<typeof User>

  static async current(client?: TransactionClientContract): Promise<Settings> {
    const rows = await this.query({ client })
    return toSettings(rows)
  }

  /** The settings from their stored values by key (a missing key takes its default). */
  static fromValues(byKey: Record<string, unknown>): Settings {
    return {
      agents_enabled: byKey.agents_enabled !== false,
      max_parallel_runs: (byKey.max_parallel_runs as number | null) ?? null,
      run_log_retention_days: (byKey.run_log_retention_days as number | undefined) ?? 90,
      webhook_delivery_retention_days:
        (byKey.webhook_delivery_retention_days as number | undefined) ?? 30,
      idempotency_key_retention_hours:
        (byKey.idempotency_key_retention_hours as number | undefined) ?? 24,
    }
  }

  /**
   * An admin flips the kill switch, moves the global cap or the retention periods (a key left
   * out keeps its value). The rows are locked so that two admins saving at once are audited one
   * after the other with the true before/after; turning agents back on or raising the cap wakes
   * waiting claimers (on commit).
   */
  static async change(
    input: Partial<Settings>,
    by: User,
    ipAddress: string | null
  ): Promise<Settings> {
    return Setting.auditedStep(
      by,
      'settings.updated',
      async (trx) => {
        const before = toSettings(await this.query({ client: trx }).forUpdate())
        const next: Settings = { ...before }
        for (const key of SETTING_KEYS) {
          if (input[key] !== undefined) Object.assign(next, { [key]: input[key] })
        }
        const changes: Partial<Record<keyof Settings, { from: unknown; to: unknown }>> = {}
        for (const key of SETTING_KEYS) {
          if (before[key] === next[key]) continue
          changes[key] = { from: before[key], to: next[key] }
          // Raw: JSON null must stay the jsonb literal (the column is NOT NULL).
          await trx.rawQuery(
            `insert into settings (key, value, updated_by_user_id) values (?, ?::jsonb, ?)
             on conflict (key) do update
               set value = excluded.value, updated_by_user_id = excluded.updated_by_user_id, updated_at = now()`,
            [key, JSON.stringify(next[key]), by.id]
          )
        }
        if (Object.keys(changes).length === 0) return { unchanged: true, result: before }
        // Global: every project's integrations hear of it.
        if (changes.agents_enabled)
          await Notifier.publish(trx, null, 'kill_switch.changed', {
            agents_enabled: next.agents_enabled,
            changed_by: by.email,
          })
        return { details: changes, announce: reopensClaims(before, next), result: next }
      },
      { ip: ipAddress }
    )
  }
}

function toSettings(rows: Setting[]): Settings {
  return Setting.fromValues(Object.fromEntries(rows.map((row) => [row.key, row.value])))
}

function reopensClaims(before: Settings, next: Settings) {
  if (!next.agents_enabled) return false
  if (!before.agents_enabled) return true
  if (next.max_parallel_runs === null) return before.max_parallel_runs !== null
  return before.max_parallel_runs !== null && next.max_parallel_runs > before.max_parallel_runs
}
