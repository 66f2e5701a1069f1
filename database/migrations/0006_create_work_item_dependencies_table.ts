import { BaseSchema } from '@adonisjs/lucid/schema'

/** depends_on of spec §1: an item is claimable only once every item it depends on is completed. */
export default class extends BaseSchema {
  protected tableName = 'work_item_dependencies'

  async up() {
    this.schema.createTable(this.tableName, (table) => {
      table
        .integer('work_item_id')
        .notNullable()
        .references('id')
        .inTable('work_items')
        .onDelete('CASCADE')
      table
        .integer('depends_on_id')
        .notNullable()
        .references('id')
        .inTable('work_items')
        .onDelete('CASCADE')
      table.primary(['work_item_id', 'depends_on_id'])
      // Finding the dependants to wake when an item completes.
      table.index(['depends_on_id'])
    })
    this.schema.raw(
      'alter table work_item_dependencies add constraint work_item_dependencies_not_self check (work_item_id <> depends_on_id)'
    )
  }

  async down() {
    this.schema.dropTable(this.tableName)
  }
}
