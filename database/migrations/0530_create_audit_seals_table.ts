import { BaseSchema } from '@adonisjs/lucid/schema'

/**
 * Tamper-evident audit trail, sealed after commit (issue 16): audit events are inserted as
 * before, with nothing that orders their writers (the withdrawn trigger chain of commit f52bbd1
 * serialised them under an advisory lock until commit and deadlocked claims). The sealer
 * (AuditChain.seal: the seal_audit_events cron job and `audit:verify`) appends committed events
 * to `audit_seals` in sealing order: seq is gapless, hash = sha256(prev_hash || canonical
 * content of the event). No foreign key to the event: a seal must outlive a deleted event, so
 * that verification names it. Seals are insert-only, like the events.
 */
export default class extends BaseSchema {
  async up() {
    this.schema.raw(`
      create table audit_seals (
        seq bigint primary key,
        audit_event_id bigint not null unique,
        prev_hash text not null,
        hash text not null,
        sealed_at timestamptz not null default now()
      )`)
    // The bytes the hash covers. jsonb text output is canonical: keys once each, ordered by
    // length then bytewise; numbers as Postgres numerics print; ", " and ": " separators.
    // occurred_at as UTC with microseconds. project_id is left out: deleting a project
    // legitimately sets it to null.
    this.schema.raw(`
      create function audit_event_canonical(e audit_events) returns text
      language sql stable as $$
        select jsonb_build_object(
          'id', e.id,
          'occurred_at', to_char(e.occurred_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
          'actor_type', e.actor_type,
          'actor_id', e.actor_id,
          'action', e.action,
          'subject_type', e.subject_type,
          'subject_id', e.subject_id,
          'details', e.details,
          'ip_address', e.ip_address)::text
      $$`)
    this.schema.raw(`
      create function audit_seals_immutable() returns trigger language plpgsql as $$
      begin
        if tg_op = 'TRUNCATE'
           and coalesce(current_setting('gatehouse.audit_truncate_allowed', true), '') = 'on' then
          return null;
        end if;
        raise exception 'audit seals are immutable' using errcode = 'check_violation';
      end $$`)
    this.schema.raw(`
      create trigger audit_seals_immutable before update or delete on audit_seals
      for each row execute function audit_seals_immutable()`)
    // Same opt-out as audit_events (migration 0420): the test database only.
    this.schema.raw(`
      create trigger audit_seals_refuse_truncate before truncate on audit_seals
      for each statement execute function audit_seals_immutable()`)
  }

  async down() {
    this.schema.raw('drop table if exists audit_seals')
    this.schema.raw('drop function if exists audit_seals_immutable()')
    this.schema.raw('drop function if exists audit_event_canonical(audit_events)')
  }
}
