import { BaseSchema } from '@adonisjs/lucid/schema'

/** The @adonisjs/limiter database store (rate-limiter-flexible's Postgres layout): login throttling. */
export default class extends BaseSchema {
  protected tableName = 'rate_limits'

  async up() {
    this.schema.createTable(this.tableName, (table) => {
      table.string('key', 255).notNullable().primary()
      table.integer('points').notNullable().defaultTo(0)
      table.bigint('expire').nullable()
    })
  }

  async down() {
    this.schema.dropTable(this.tableName)
  }
}
