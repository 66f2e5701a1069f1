import { BaseSchema } from '@adonisjs/lucid/schema'

/**
 * Escalation (issue 12): an item that used up its attempts through gate rejections is `failed`
 * with `needs_human_at` set, until a person requeues it; a requeue may carry a note that the
 * next attempt's feedback hands to the agent.
 */
export default class extends BaseSchema {
  async up() {
    this.schema.raw('alter table work_items add column needs_human_at timestamptz')
    // The inbox lists failed items needing a human, newest first.
    this.schema.raw(
      `create index work_items_needs_human on work_items (needs_human_at desc)
        where status = 'failed' and needs_human_at is not null`
    )
    this.schema.createTable('work_item_notes', (table) => {
      table.increments('id')
      table
        .integer('work_item_id')
        .notNullable()
        .references('id')
        .inTable('work_items')
        .onDelete('CASCADE')
      table.integer('user_id').nullable().references('id').inTable('users').onDelete('SET NULL')
      table.text('note').notNullable()
      table.timestamp('created_at').notNullable().defaultTo(this.now())
    })
    this.schema.raw(
      'create index work_item_notes_work_item on work_item_notes (work_item_id, id desc)'
    )
    // The inbox's human_review rows: succeeded runs still waiting for a reviewer.
    this.schema.raw(
      `create index runs_awaiting_review on runs (id desc)
        where gate_status = 'pending' and status = 'succeeded' and review_status is null`
    )
  }

  async down() {
    this.schema.raw('drop index if exists runs_awaiting_review')
    this.schema.dropTable('work_item_notes')
    this.schema.raw('drop index if exists work_items_needs_human')
    this.schema.raw('alter table work_items drop column if exists needs_human_at')
  }
}
