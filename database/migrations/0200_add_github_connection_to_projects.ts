import { BaseSchema } from '@adonisjs/lucid/schema'

/** The state of a project's GitHub connection, as last seen by a call to GitHub (shown to admins). */
export default class extends BaseSchema {
  protected tableName = 'projects'

  async up() {
    this.schema.alterTable(this.tableName, (table) => {
      table
        .enu('github_status', [
          'unknown',
          'connected',
          'token_missing',
          'token_rejected',
          'unreachable',
        ])
        .notNullable()
        .defaultTo('unknown')
      table.text('github_status_message').nullable()
      table.timestamp('github_checked_at').nullable()
    })
  }

  async down() {
    this.schema.alterTable(this.tableName, (table) => {
      table.dropColumn('github_status')
      table.dropColumn('github_status_message')
      table.dropColumn('github_checked_at')
    })
  }
}
