import type { TransactionClientContract } from '@adonisjs/lucid/types/database'
import { belongsTo } from '@adonisjs/lucid/orm'
import type { BelongsTo } from '@adonisjs/lucid/types/relations'
import { SettingSchema } from '#database/schema'
import { jsonColumn } from '#models/json_column'
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
    const byKey = Object.fromEntries(rows.map((row) => [row.key, row.value]))
    return {
      agents_enabled: byKey.agents_enabled !== false,
      max_parallel_runs: (byKey.max_parallel_runs as number | null) ?? null,
    }
  }
}
