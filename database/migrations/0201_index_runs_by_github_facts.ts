import { BaseSchema } from '@adonisjs/lucid/schema'

/** Webhooks find the runs whose gates wait on a commit or a pull request. */
export default class extends BaseSchema {
  async up() {
    this.schema.raw(
      `create index runs_pending_by_head_sha on runs (project_id, head_sha) where gate_status = 'pending'`
    )
    this.schema.raw(
      `create index runs_pending_by_pr_number on runs (project_id, pr_number) where gate_status = 'pending'`
    )
    // Deliveries list pages filter by status, newest first.
    this.schema.raw(
      'create index webhook_deliveries_status_id on webhook_deliveries (status, id desc)'
    )
  }

  async down() {
    this.schema.raw('drop index if exists runs_pending_by_head_sha')
    this.schema.raw('drop index if exists runs_pending_by_pr_number')
    this.schema.raw('drop index if exists webhook_deliveries_status_id')
  }
}
