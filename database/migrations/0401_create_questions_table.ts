import { BaseSchema } from '@adonisjs/lucid/schema'

/**
 * Agents ask (issue 12): a run that asks ends `needs_input` (not an attempt), its item waits
 * `blocked` with the open question until a person (or a writer's `/answer` on the GitHub
 * issue) answers it.
 */
export default class extends BaseSchema {
  async up() {
    this.schema.raw('alter table runs drop constraint runs_status_check')
    this.schema.raw(
      `alter table runs add constraint runs_status_check check (status in
        ('running', 'succeeded', 'failed', 'timed_out', 'cancelled', 'released', 'needs_input'))`
    )
    this.schema.createTable('questions', (table) => {
      table.increments('id')
      table
        .integer('work_item_id')
        .notNullable()
        .references('id')
        .inTable('work_items')
        .onDelete('CASCADE')
      table
        .integer('project_id')
        .notNullable()
        .references('id')
        .inTable('projects')
        .onDelete('CASCADE')
      table.integer('run_id').nullable().references('id').inTable('runs').onDelete('SET NULL')
      table.integer('agent_id').nullable().references('id').inTable('agents').onDelete('SET NULL')
      table.text('question').notNullable()
      table.jsonb('choices').nullable()
      table.jsonb('context').nullable()
      table.enu('status', ['open', 'answered']).notNullable().defaultTo('open')
      table.text('answer').nullable()
      table
        .integer('answered_by_user_id')
        .nullable()
        .references('id')
        .inTable('users')
        .onDelete('SET NULL')
      // A GitHub account that answered with `/answer` on the issue.
      table.string('answered_by_login', 100).nullable()
      table.timestamp('answered_at').nullable()
      table.timestamp('created_at').notNullable().defaultTo(this.now())
      table.timestamp('updated_at').notNullable().defaultTo(this.now())
    })
    // An item waits on one question at a time; the inbox lists the open ones.
    this.schema.raw(
      `create unique index questions_one_open_per_item on questions (work_item_id) where status = 'open'`
    )
    this.schema.raw(`create index questions_open on questions (id) where status = 'open'`)
    this.schema.raw('create index questions_work_item on questions (work_item_id, id)')
    this.schema.raw('create unique index questions_run on questions (run_id)')
  }

  async down() {
    this.schema.dropTable('questions')
    this.schema.raw(`update runs set status = 'released' where status = 'needs_input'`)
    this.schema.raw('alter table runs drop constraint runs_status_check')
    this.schema.raw(
      `alter table runs add constraint runs_status_check check (status in
        ('running', 'succeeded', 'failed', 'timed_out', 'cancelled', 'released'))`
    )
  }
}
