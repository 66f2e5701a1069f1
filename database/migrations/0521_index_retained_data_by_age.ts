import { BaseSchema } from '@adonisjs/lucid/schema'

/**
 * prune_retained_data deletes the oldest rows in batches ordered by age: each batch is an index
 * range scan. Built concurrently (outside a transaction): run_logs is the largest table and
 * must keep taking log lines while the index builds at deploy.
 */
export default class extends BaseSchema {
  static disableTransactions = true

  async up() {
    this.schema.raw(
      `create index concurrently if not exists run_logs_created_at on run_logs (created_at)`
    )
    this.schema.raw(
      `create index concurrently if not exists webhook_deliveries_received_at on webhook_deliveries (received_at)`
    )
  }

  async down() {
    this.schema.raw(`drop index concurrently if exists run_logs_created_at`)
    this.schema.raw(`drop index concurrently if exists webhook_deliveries_received_at`)
  }
}
