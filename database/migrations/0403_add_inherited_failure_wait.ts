import { BaseSchema } from '@adonisjs/lucid/schema'

/**
 * Inherited failures (issue 12): an item whose run failed only on checks that fail on the
 * default branch too waits, uncharged, until that branch is green again.
 */
export default class extends BaseSchema {
  async up() {
    this.schema.raw('alter table work_items add column waits_for_green_since timestamptz')
    // The default branch turning green wakes exactly these items.
    this.schema.raw(
      `create index work_items_waiting_for_green on work_items (project_id)
        where waits_for_green_since is not null`
    )
  }

  async down() {
    this.schema.raw('drop index if exists work_items_waiting_for_green')
    this.schema.raw('alter table work_items drop column if exists waits_for_green_since')
  }
}
