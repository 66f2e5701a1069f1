import { belongsTo } from '@adonisjs/lucid/orm'
import type { BelongsTo } from '@adonisjs/lucid/types/relations'
import { WebhookDeliverySchema } from '#database/schema'
import { jsonColumn } from '#models/json_column'
import Project from '#models/project'

export type DeliveryStatus = 'received' | 'processed' | 'ignored' | 'failed'

export default class WebhookDelivery extends WebhookDeliverySchema {
  declare status: DeliveryStatus

  @jsonColumn()
  declare payload: Record<string, unknown> | null

  @belongsTo(() => Project)
  declare project: BelongsTo<typeof Project>
}
