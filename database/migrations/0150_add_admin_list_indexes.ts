import { BaseSchema } from '@adonisjs/lucid/schema'

/**
 * Indexes for the admin list pages (newest first, keyset on id) under each filter they offer,
 * so that no filter falls back to scanning a large table.
 */
export default class extends BaseSchema {
  async up() {
    this.schema.raw('create index work_items_project_id on work_items (project_id, id desc)')
    this.schema.raw('create index work_items_work_type_id on work_items (work_type, id desc)')
    this.schema.raw('create index runs_project_id on runs (project_id, id desc)')
    this.schema.raw('create index runs_status_id on runs (status, id desc)')
    this.schema.raw('create index audit_events_actor_type on audit_events (actor_type, id desc)')
  }

  async down() {
    this.schema.raw('drop index work_items_project_id')
    this.schema.raw('drop index work_items_work_type_id')
    this.schema.raw('drop index runs_project_id')
    this.schema.raw('drop index runs_status_id')
    this.schema.raw('drop index audit_events_actor_type')
  }
}
