import { BaseSchema } from '@adonisjs/lucid/schema'

/**
 * A run's log lines and bytes in its current second, counted on the run's row by the
 * statement that numbers each batch (docs/security.md): the per-second log quotas cost no
 * statement of their own and are exact across processes.
 */
export default class extends BaseSchema {
  async up() {
    this.schema.alterTable('runs', (table) => {
      table.timestamp('log_second_started_at', { useTz: true }).nullable()
      table.integer('log_second_lines').notNullable().defaultTo(0)
      table.bigInteger('log_second_bytes').notNullable().defaultTo(0)
    })
  }

  async down() {
    this.schema.alterTable('runs', (table) => {
      table.dropColumn('log_second_started_at')
      table.dropColumn('log_second_lines')
      table.dropColumn('log_second_bytes')
    })
  }
}
