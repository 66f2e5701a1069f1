import { belongsTo, hasMany } from '@adonisjs/lucid/orm'
import type { BelongsTo, HasMany } from '@adonisjs/lucid/types/relations'
import { RunSchema } from '#database/schema'
import { jsonColumn } from '#models/json_column'
import WorkItem from '#models/work_item'
import Project from '#models/project'
import Agent from '#models/agent'
import User from '#models/user'
import RunLog from '#models/run_log'

export const RUN_STATUSES = [
  'running',
  'succeeded',
  'failed',
  'timed_out',
  'cancelled',
  'released',
] as const
export type RunStatus = (typeof RUN_STATUSES)[number]
export type GateStatus = 'pending' | 'passed' | 'failed'
export type GateVerdict = { gate: string; verdict: GateStatus; reason: string; at?: string }
export type RunCosts = { input_tokens?: number; output_tokens?: number; usd?: number; model?: string }
export type RunTests = { passed: number; failed: number; skipped?: number }

export default class Run extends RunSchema {
  declare status: RunStatus
  declare gateStatus: GateStatus | null
  declare reviewStatus: 'approved' | 'rejected' | null

  @jsonColumn()
  declare costs: RunCosts | null

  @jsonColumn()
  declare tests: RunTests | null

  @jsonColumn()
  declare gateResults: GateVerdict[]

  @belongsTo(() => WorkItem)
  declare workItem: BelongsTo<typeof WorkItem>

  @belongsTo(() => Project)
  declare project: BelongsTo<typeof Project>

  @belongsTo(() => Agent)
  declare agent: BelongsTo<typeof Agent>

  @belongsTo(() => User, { foreignKey: 'reviewedByUserId' })
  declare reviewedBy: BelongsTo<typeof User>

  @hasMany(() => RunLog)
  declare logs: HasMany<typeof RunLog>
}
