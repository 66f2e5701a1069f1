import { BaseSchema } from '@adonisjs/lucid/schema'

/**
 * The two work-item gauges of a /metrics scrape read indexes only (tests/functional/
 * metrics_volume.spec.ts, at 1,000,000 items):
 * - items by status: a status-only btree, which deduplication keeps to ~7 MB per million rows,
 *   counted by an index-only scan (the (status, id) index is 54 MB; the table 120 MB);
 * - claimable items and the oldest one per project: pending items by project and due time,
 *   carrying created_at, so no heap page is read.
 * Built concurrently: writers of work_items are not blocked while a large table is indexed.
 */
export default class extends BaseSchema {
  static disableTransactions = true

  async up() {
    this.schema.raw('create index concurrently work_items_status on work_items (status)')
    this.schema.raw(`
      create index concurrently work_items_pending_by_project
        on work_items (project_id, run_after) include (created_at) where status = 'pending'`)
  }

  async down() {
    this.schema.raw('drop index if exists work_items_status')
    this.schema.raw('drop index if exists work_items_pending_by_project')
  }
}
