import { BaseSchema } from '@adonisjs/lucid/schema'

/** prune_retained_data walks outgoing deliveries oldest first, as it does incoming ones. */
export default class extends BaseSchema {
  static disableTransactions = true

  async up() {
    this.schema.raw(
      `create index concurrently if not exists notification_deliveries_created_at on notification_deliveries (created_at)`
    )
  }

  async down() {
    this.schema.raw(`drop index concurrently if exists notification_deliveries_created_at`)
  }
}
