import { BaseSchema } from '@adonisjs/lucid/schema'

export default class extends BaseSchema {
  protected tableName = 'users'

  async up() {
    this.schema.createTable(this.tableName, (table) => {
      table.increments('id')
      table.string('email', 254).notNullable()
      table.string('full_name').notNullable()
      table.string('password').notNullable()
      table
        .enu('role', ['admin', 'maintainer', 'reviewer', 'viewer'])
        .notNullable()
        .defaultTo('viewer')
      table.boolean('is_active').notNullable().defaultTo(true)
      table.timestamp('last_login_at').nullable()
      table.timestamp('created_at').notNullable().defaultTo(this.now())
      table.timestamp('updated_at').notNullable().defaultTo(this.now())
    })
    // Emails are unique whatever their case.
    this.schema.raw('create unique index users_email_lower_unique on users (lower(email))')
  }

  async down() {
    this.schema.dropTable(this.tableName)
  }
}
