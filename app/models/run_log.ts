import { belongsTo } from '@adonisjs/lucid/orm'
import type { BelongsTo } from '@adonisjs/lucid/types/relations'
import { RunLogSchema } from '#database/schema'
import { jsonColumn } from '#models/json_column'
import Run from '#models/run'

export type LogLevel = 'debug' | 'info' | 'warn' | 'error'

export default class RunLog extends RunLogSchema {
  // bigserial, parsed as a number (see database_server.ts)
  declare id: number
  declare level: LogLevel
  declare stream: 'stdout' | 'stderr' | null

  @jsonColumn()
  declare data: Record<string, unknown> | null

  @belongsTo(() => Run)
  declare run: BelongsTo<typeof Run>
}
