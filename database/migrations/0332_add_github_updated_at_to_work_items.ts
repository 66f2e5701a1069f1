import { BaseSchema } from '@adonisjs/lucid/schema'

/**
 * The GitHub issue's `updated_at` last applied to its item: a replayed webhook whose issue is
 * older than that (a captured `reopened` sent again with a new delivery id) changes nothing.
 */
export default class extends BaseSchema {
  async up() {
    this.schema.alterTable('work_items', (table) => {
      table.timestamp('github_updated_at', { useTz: true }).nullable()
    })
  }

  async down() {
    this.schema.alterTable('work_items', (table) => table.dropColumn('github_updated_at'))
  }
}
