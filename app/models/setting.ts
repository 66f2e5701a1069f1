import db from '@adonisjs/lucid/services/db'
import type { TransactionClientContract } from '@adonisjs/lucid/types/database'
import { belongsTo } from '@adonisjs/lucid/orm'
import type { BelongsTo } from '@adonisjs/lucid/types/relations'
import { SettingSchema } from '#database/schema'
import { jsonColumn } from '#models/json_column'
import AuditEvent from '#models/audit_event'
import Claimable from '#infrastructure/claimable'
import User from '#models/user'

export type Settings = { agents_enabled: boolean; max_parallel_runs: number | null }

/** Global switches, one row per key (seeded by the migration). */
export default class Setting extends SettingSchema {
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
    }
  }

  /**
   * An admin flips the kill switch or moves the global cap. The rows are locked so that two
   * admins saving at once are audited one after the other with the true before/after; turning
   * agents back on or raising the cap wakes waiting claimers (on commit).
   */
  static async change(next: Settings, by: User, ipAddress: string | null): Promise<Settings> {
    return db.transaction(async (trx) => {
      const before = toSettings(await this.query({ client: trx }).forUpdate())
      const changes: Partial<Record<keyof Settings, { from: unknown; to: unknown }>> = {}
      for (const key of ['agents_enabled', 'max_parallel_runs'] as const) {
        if (before[key] === next[key]) continue
        changes[key] = { from: before[key], to: next[key] }
        // Raw: JSON null must stay the jsonb literal (the column is NOT NULL).
        await trx.rawQuery(
          `update settings set value = ?::jsonb, updated_by_user_id = ?, updated_at = now() where key = ?`,
          [JSON.stringify(next[key]), by.id, key]
        )
      }
      if (Object.keys(changes).length === 0) return before
      await AuditEvent.record(trx, {
        actor: by,
        action: 'settings.updated',
        details: changes,
        ipAddress,
      })
      if (reopensClaims(before, next)) await Claimable.announce(trx)
      return next
    })
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
