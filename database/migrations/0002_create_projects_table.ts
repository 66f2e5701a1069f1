import { BaseSchema } from '@adonisjs/lucid/schema'

export default class extends BaseSchema {
  protected tableName = 'projects'

  async up() {
    this.schema.createTable(this.tableName, (table) => {
      table.increments('id')
      table.string('name').notNullable()
      table.string('slug', 64).notNullable().unique()
      table.enu('state', ['draft', 'active', 'paused', 'archived']).notNullable().defaultTo('draft')
      table.text('brief').notNullable().defaultTo('')
      table.string('repo_full_name').notNullable()
      table.string('repo_default_branch').notNullable().defaultTo('main')
      table.string('github_token_secret_name').nullable()
      table.string('webhook_secret_name').nullable()
      table.jsonb('gates_config').notNullable().defaultTo('{}')
      table.boolean('e2e_required').notNullable().defaultTo(true)
      table
        .enu('default_branch_status', ['unknown', 'passing', 'failing'])
        .notNullable()
        .defaultTo('unknown')
      table.timestamp('default_branch_status_at').nullable()
      table.timestamp('created_at').notNullable().defaultTo(this.now())
      table.timestamp('updated_at').notNullable().defaultTo(this.now())
    })
    this.schema.raw(
      `alter table projects add constraint projects_slug_format check (slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$')`
    )
    this.schema.raw(
      `alter table projects add constraint projects_repo_full_name_format check (repo_full_name ~ '^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$')`
    )
    // Webhooks find their project by repository.
    this.schema.raw(
      'create index projects_repo_full_name_index on projects (lower(repo_full_name))'
    )
  }

  async down() {
    this.schema.dropTable(this.tableName)
  }
}
