import { belongsTo } from '@adonisjs/lucid/orm'
import type { BelongsTo } from '@adonisjs/lucid/types/relations'
import { WebhookDeliverySchema } from '#database/schema'
import { jsonColumn } from '#models/json_column'
import Project from '#models/project'

export const DELIVERY_STATUSES = ['received', 'processed', 'ignored', 'failed'] as const
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number]

export default class WebhookDelivery extends WebhookDeliverySchema {
  declare status: DeliveryStatus

  @jsonColumn()
  declare payload: Record<string, unknown> | null

  @belongsTo(() => Project)
  declare project: BelongsTo<typeof Project>

  /** Newest first, optionally of one status and one project (index-backed for each filter). */
  static listQuery(filters: { status?: DeliveryStatus; projectId?: number }) {
    const query = this.query().preload('project')
    if (filters.status) query.where('status', filters.status)
    if (filters.projectId) query.where('projectId', filters.projectId)
    return query
  }
}
