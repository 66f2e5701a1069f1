import { belongsTo, hasMany, manyToMany } from '@adonisjs/lucid/orm'
import type { BelongsTo, HasMany, ManyToMany } from '@adonisjs/lucid/types/relations'
import { WorkItemSchema } from '#database/schema'
import { jsonColumn } from '#models/json_column'
import Project from '#models/project'
import Agent from '#models/agent'
import User from '#models/user'
import Run from '#models/run'

export const WORK_ITEM_STATUSES = [
  'pending',
  'in_progress',
  'verifying',
  'completed',
  'failed',
  'blocked',
  'cancelled',
] as const
export type WorkItemStatus = (typeof WORK_ITEM_STATUSES)[number]
export type WorkItemSource = 'manual' | 'api' | 'github'

export default class WorkItem extends WorkItemSchema {
  declare status: WorkItemStatus
  declare source: WorkItemSource

  @jsonColumn()
  declare payload: Record<string, unknown>

  @belongsTo(() => Project)
  declare project: BelongsTo<typeof Project>

  @belongsTo(() => Agent, { foreignKey: 'assignedAgentId' })
  declare assignedAgent: BelongsTo<typeof Agent>

  @belongsTo(() => Agent, { foreignKey: 'lockedByAgentId' })
  declare lockedByAgent: BelongsTo<typeof Agent>

  @belongsTo(() => User, { foreignKey: 'approvedByUserId' })
  declare approvedBy: BelongsTo<typeof User>

  @hasMany(() => Run)
  declare runs: HasMany<typeof Run>

  /** Items that must be completed before this one is claimable. */
  @manyToMany(() => WorkItem, {
    pivotTable: 'work_item_dependencies',
    pivotForeignKey: 'work_item_id',
    pivotRelatedForeignKey: 'depends_on_id',
  })
  declare dependsOn: ManyToMany<typeof WorkItem>

  /** Items waiting for this one. */
  @manyToMany(() => WorkItem, {
    pivotTable: 'work_item_dependencies',
    pivotForeignKey: 'depends_on_id',
    pivotRelatedForeignKey: 'work_item_id',
  })
  declare dependants: ManyToMany<typeof WorkItem>

  get isFinal() {
    return ['completed', 'failed', 'cancelled'].includes(this.status)
  }
}
