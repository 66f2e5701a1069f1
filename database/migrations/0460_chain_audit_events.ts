import { BaseSchema } from '@adonisjs/lucid/schema'

/**
 * Tamper-evident audit trail: every event stores its place in the chain (`chain_seq`), the
 * previous event's hash and its own, sha256(prev_hash || canonical content). Computed by a
 * BEFORE INSERT trigger under a transaction-scoped advisory lock, so concurrent inserts chain
 * one after another in commit order of the lock. `project_id` is left out of the content: a
 * deleted project legitimately sets it to null. `node ace audit:verify` recomputes the chain.
 */
export default class extends BaseSchema {
  async up() {
    this.schema.raw(`
      alter table audit_events
        add column chain_seq bigint,
        add column prev_hash text,
        add column hash text`)
    this.schema.raw(`
      create function audit_event_content(e audit_events) returns text
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
      create function audit_event_hash(prev_hash text, e audit_events) returns text
      language sql stable as $$
        select encode(sha256(convert_to(coalesce(prev_hash, '') || '|' || audit_event_content(e), 'UTF8')), 'hex')
      $$`)
    // Existing events are chained once, in id order.
    this.schema.raw(`
      do $$
      declare
        e audit_events;
        previous text := null;
        seq bigint := 0;
      begin
        alter table audit_events disable trigger audit_events_immutable;
        for e in select * from audit_events order by id loop
          seq := seq + 1;
          update audit_events
             set chain_seq = seq, prev_hash = previous, hash = audit_event_hash(previous, e)
           where id = e.id;
          previous := audit_event_hash(previous, e);
        end loop;
        alter table audit_events enable trigger audit_events_immutable;
      end $$`)
    this.schema.raw(`alter table audit_events alter column chain_seq set not null,
                                              alter column hash set not null`)
    this.schema.raw('create unique index audit_events_chain on audit_events (chain_seq)')
    this.schema.raw(`
      create function audit_events_chain() returns trigger language plpgsql as $$
      declare
        last audit_events;
      begin
        -- One chain: inserts take their place one at a time, until their transaction ends.
        perform pg_advisory_xact_lock(7273656174);
        select * into last from audit_events order by chain_seq desc limit 1;
        new.chain_seq := coalesce(last.chain_seq, 0) + 1;
        new.prev_hash := last.hash;
        new.hash := audit_event_hash(last.hash, new);
        return new;
      end $$`)
    this.schema.raw(`
      create trigger audit_events_chain before insert on audit_events
      for each row execute function audit_events_chain()`)
    // The chain's columns are as immutable as the rest.
    this.schema.raw(`
      create or replace function audit_events_immutable() returns trigger language plpgsql as $$
      begin
        if tg_op = 'DELETE' then
          raise exception 'audit events are immutable' using errcode = 'check_violation';
        end if;
        if (new.occurred_at, new.actor_type, new.actor_id, new.action, new.subject_type,
            new.subject_id, new.details, new.ip_address, new.chain_seq, new.prev_hash, new.hash)
           is distinct from
           (old.occurred_at, old.actor_type, old.actor_id, old.action, old.subject_type,
            old.subject_id, old.details, old.ip_address, old.chain_seq, old.prev_hash, old.hash)
           or new.project_id is not null then
          raise exception 'audit events are immutable' using errcode = 'check_violation';
        end if;
        return new;
      end $$`)
  }

  async down() {
    this.schema.raw('drop trigger audit_events_chain on audit_events')
    this.schema.raw('drop function audit_events_chain()')
    this.schema.raw('drop function audit_event_hash(text, audit_events)')
    this.schema.raw('drop function audit_event_content(audit_events)')
    this.schema.raw(
      'alter table audit_events drop column chain_seq, drop column prev_hash, drop column hash'
    )
  }
}
