import { BaseSchema } from '@adonisjs/lucid/schema'

export default class extends BaseSchema {
  protected tableName = 'webhook_deliveries'

  async up() {
    this.schema.createTable(this.tableName, (table) => {
      table.increments('id')
      // X-GitHub-Delivery: a redelivery is recognised and not processed twice.
      table.string('delivery_id', 100).notNullable().unique()
      table.string('event', 64).notNullable()
      table.string('action', 64).nullable()
      table
        .integer('project_id')
        .nullable()
        .references('id')
        .inTable('projects')
        .onDelete('SET NULL')
      table
        .enu('status', ['received', 'processed', 'ignored', 'failed'])
        .notNullable()
        .defaultTo('received')
      table.text('error').nullable()
      // Kept until processed by the job; the job reads it from here, not from the queue.
      table.jsonb('payload').nullable()
      table.timestamp('received_at').notNullable().defaultTo(this.now())
      table.timestamp('processed_at').nullable()
      table.timestamp('created_at').notNullable().defaultTo(this.now())
      table.timestamp('updated_at').notNullable().defaultTo(this.now())
      table.index(['project_id', 'id'])
    })
  }

  async down() {
    this.schema.dropTable(this.tableName)
  }
}
