import { BaseSchema } from '@adonisjs/lucid/schema'

/**
 * One row per bulk action over a list's filter: what was confirmed (the filter, the count, the
 * ids it selected then), why, by whom, and how far the job that applies it has got.
 */
export default class extends BaseSchema {
  protected tableName = 'bulk_actions'

  async up() {
    this.schema.createTable(this.tableName, (table) => {
      table.increments('id')
      table.text('kind').notNullable()
      table.jsonb('filter').notNullable()
      table.jsonb('parameters').notNullable().defaultTo('{}')
      table.text('reason').notNullable()
      table.integer('user_id').notNullable().references('id').inTable('users')
      // The exact selection the person confirmed, ascending: the job acts on these and no others.
      table.specificType('target_ids', 'integer[]').notNullable()
      table.integer('total_count').notNullable()
      // Progress, written in the transaction of each batch: a re-run starts after this id.
      table.integer('processed_through_id').notNullable().defaultTo(0)
      table.integer('done_count').notNullable().defaultTo(0)
      table.integer('skipped_count').notNullable().defaultTo(0)
      table.text('status').notNullable().defaultTo('queued')
      table.timestamp('finished_at').nullable()
      table.timestamp('created_at').notNullable().defaultTo(this.now())
      table.timestamp('updated_at').notNullable().defaultTo(this.now())
      table.check(`status in ('queued', 'running', 'finished')`)
      table.check(`total_count = cardinality(target_ids)`)
    })
  }

  async down() {
    this.schema.dropTable(this.tableName)
  }
}
