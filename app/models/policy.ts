import { belongsTo } from '@adonisjs/lucid/orm'
import type { BelongsTo } from '@adonisjs/lucid/types/relations'
import { PolicySchema } from '#database/schema'
import { jsonColumn } from '#models/json_column'
import Project from '#models/project'

export default class Policy extends PolicySchema {
  @jsonColumn()
  declare value: unknown

  @belongsTo(() => Project)
  declare project: BelongsTo<typeof Project>
}
