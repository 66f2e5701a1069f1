import { BaseSchema } from '@adonisjs/lucid/schema'

export default class extends BaseSchema {
  protected tableName = 'run_logs'

  async up() {
    this.schema.createTable(this.tableName, (table) => {
      table.bigIncrements('id')
      table.integer('run_id').notNullable().references('id').inTable('runs').onDelete('CASCADE')
      table.integer('seq').notNullable()
      table.enu('level', ['debug', 'info', 'warn', 'error']).notNullable().defaultTo('info')
      table.enu('stream', ['stdout', 'stderr']).nullable()
      table.text('message').notNullable()
      table.jsonb('data').nullable()
      table.timestamp('logged_at').notNullable().defaultTo(this.now())
      table.timestamp('created_at').notNullable().defaultTo(this.now())
      // Reading a run's log in order, and following it from a sequence number.
      table.unique(['run_id', 'seq'])
    })
  }

  async down() {
    this.schema.dropTable(this.tableName)
  }
}
