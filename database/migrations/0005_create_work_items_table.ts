import { BaseSchema } from '@adonisjs/lucid/schema'

export default class extends BaseSchema {
  protected tableName = 'work_items'

  async up() {
    this.schema.createTable(this.tableName, (table) => {
      table.increments('id')
      // Deleting a project deletes its queue; projects are normally archived, not deleted.
      table
        .integer('project_id')
        .notNullable()
        .references('id')
        .inTable('projects')
        .onDelete('CASCADE')
      table.string('work_type', 64).notNullable().defaultTo('code')
      table.string('title', 500).notNullable()
      table.jsonb('payload').notNullable().defaultTo('{}')
      table
        .enu('status', [
          'pending',
          'in_progress',
          'verifying',
          'completed',
          'failed',
          'blocked',
          'cancelled',
        ])
        .notNullable()
        .defaultTo('pending')
      table.integer('priority').notNullable().defaultTo(0)
      // Agents are disabled rather than deleted; if one is deleted its pins and locks lapse.
      table
        .integer('assigned_agent_id')
        .nullable()
        .references('id')
        .inTable('agents')
        .onDelete('SET NULL')
      table
        .integer('locked_by_agent_id')
        .nullable()
        .references('id')
        .inTable('agents')
        .onDelete('SET NULL')
      table.timestamp('locked_at').nullable()
      table.integer('attempts').notNullable().defaultTo(0)
      table.integer('max_attempts').nullable()
      table.timestamp('run_after').notNullable().defaultTo(this.now())
      table.timestamp('approved_at').nullable()
      table
        .integer('approved_by_user_id')
        .nullable()
        .references('id')
        .inTable('users')
        .onDelete('SET NULL')
      table.enu('source', ['manual', 'api', 'github']).notNullable().defaultTo('manual')
      table.string('external_ref').nullable()
      table.string('external_url', 2048).nullable()
      table.timestamp('completed_at').nullable()
      table.timestamp('created_at').notNullable().defaultTo(this.now())
      table.timestamp('updated_at').notNullable().defaultTo(this.now())

      table.unique(['project_id', 'external_ref'])
    })
    this.schema.raw(
      'alter table work_items add constraint work_items_attempts_non_negative check (attempts >= 0)'
    )
    this.schema.raw(
      'alter table work_items add constraint work_items_max_attempts_positive check (max_attempts is null or max_attempts >= 1)'
    )
    // The claim query: pending items in claim order. Partial, so it stays small as history grows.
    this.schema.raw(
      `create index work_items_claim_order on work_items (priority desc, run_after, id) where status = 'pending'`
    )
    // WIP limits and per-project queue pages.
    this.schema.raw('create index work_items_project_status on work_items (project_id, status, id)')
    // Admin list pages: newest first, keyset on id.
    this.schema.raw('create index work_items_status_id on work_items (status, id desc)')
  }

  async down() {
    this.schema.dropTable(this.tableName)
  }
}
