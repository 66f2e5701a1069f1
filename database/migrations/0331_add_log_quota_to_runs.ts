import { BaseSchema } from '@adonisjs/lucid/schema'

/** A run's log total, counted as batches arrive, and when its logs were cut at the quota. */
export default class extends BaseSchema {
  async up() {
    this.schema.alterTable('runs', (table) => {
      table.bigInteger('log_bytes').notNullable().defaultTo(0)
      table.timestamp('logs_cut_at', { useTz: true }).nullable()
    })
  }

  async down() {
    this.schema.alterTable('runs', (table) => {
      table.dropColumn('log_bytes')
      table.dropColumn('logs_cut_at')
    })
  }
}
