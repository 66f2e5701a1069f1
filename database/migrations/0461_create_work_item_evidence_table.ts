import { BaseSchema } from '@adonisjs/lucid/schema'

/** One evidence record per completed item: its canonical JSON document and that text's SHA-256. */
export default class extends BaseSchema {
  protected tableName = 'work_item_evidence'

  async up() {
    this.schema.createTable(this.tableName, (table) => {
      table
        .integer('work_item_id')
        .primary()
        .references('id')
        .inTable('work_items')
        .onDelete('CASCADE')
      table.text('document').notNullable()
      table.string('sha256', 64).notNullable()
      table.timestamp('created_at').notNullable().defaultTo(this.now())
    })
  }

  async down() {
    this.schema.dropTable(this.tableName)
  }
}
