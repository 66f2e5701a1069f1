import { BaseSchema } from '@adonisjs/lucid/schema'

/**
 * The audit log refuses TRUNCATE as it refuses UPDATE and DELETE. A database may opt out with
 * `gatehouse.audit_truncate_allowed = on` (set on the test database only, whose tests empty
 * every table between them); a production database never sets it.
 */
export default class extends BaseSchema {
  async up() {
    this.schema.raw(`
      create function audit_events_refuse_truncate() returns trigger language plpgsql as $$
      begin
        if coalesce(current_setting('gatehouse.audit_truncate_allowed', true), '') <> 'on' then
          raise exception 'audit events are immutable' using errcode = 'check_violation';
        end if;
        return null;
      end $$`)
    this.schema.raw(`
      create trigger audit_events_refuse_truncate before truncate on audit_events
      for each statement execute function audit_events_refuse_truncate()`)
  }

  async down() {
    this.schema.raw('drop trigger if exists audit_events_refuse_truncate on audit_events')
    this.schema.raw('drop function if exists audit_events_refuse_truncate()')
  }
}
