import { BaseSchema } from '@adonisjs/lucid/schema'

/**
 * Admin-page sessions kept on the server (issue 13): a cookie carries only the session id, so
 * logging out, a password change, a lower role or deactivation end a session for good. Idle
 * and absolute limits are judged from `last_seen_at` and `created_at`.
 */
export default class extends BaseSchema {
  async up() {
    this.schema.createTable('sessions', (table) => {
      table.string('id', 64).primary()
      table.integer('user_id').nullable().index()
      table.text('data').notNullable()
      table.timestamp('created_at', { useTz: true }).notNullable().defaultTo(this.now())
      table.timestamp('last_seen_at', { useTz: true }).notNullable().defaultTo(this.now())
      table.string('ip_address', 45).nullable()
      table.string('user_agent', 512).nullable()
    })
    this.schema.alterTable('users', (table) => {
      table.boolean('must_change_password').notNullable().defaultTo(false)
    })
  }

  async down() {
    this.schema.alterTable('users', (table) => table.dropColumn('must_change_password'))
    this.schema.dropTable('sessions')
  }
}
