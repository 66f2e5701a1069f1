import { BaseSchema } from '@adonisjs/lucid/schema'

/**
 * The first answer to a request sent with an `Idempotency-Key`, per token, kept 24 hours so a
 * retry gets it back instead of doing the work again. `status_code` is null while the first
 * request is still being answered.
 */
export default class extends BaseSchema {
  async up() {
    this.schema.raw(`
      create table idempotency_keys (
        id bigserial primary key,
        token_kind text not null check (token_kind in ('agent', 'project')),
        token_id integer not null,
        key text not null,
        fingerprint text not null,
        status_code integer,
        response_headers jsonb,
        response_body jsonb,
        created_at timestamptz not null default now(),
        completed_at timestamptz,
        unique (token_kind, token_id, key)
      )`)
    // The pruning job deletes by age.
    this.schema.raw(`create index idempotency_keys_created_at on idempotency_keys (created_at)`)
  }

  async down() {
    this.schema.raw(`drop table if exists idempotency_keys`)
  }
}
