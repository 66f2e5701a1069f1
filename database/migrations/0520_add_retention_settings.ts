import { BaseSchema } from '@adonisjs/lucid/schema'

/**
 * Retention (issue 16): how long run logs, GitHub webhook deliveries and idempotency keys are
 * kept before the nightly prune_retained_data job deletes them, and on each run when its logs
 * were pruned (for the run page's notice).
 */
export default class extends BaseSchema {
  async up() {
    this.schema.raw(`alter table settings drop constraint settings_known_key`)
    this.schema.raw(`alter table settings drop constraint settings_value_type`)
    this.schema.raw(`
      alter table settings add constraint settings_known_key check (key in (
        'agents_enabled', 'max_parallel_runs', 'run_log_retention_days',
        'webhook_delivery_retention_days', 'idempotency_key_retention_hours'))`)
    this.schema.raw(`
      alter table settings add constraint settings_value_type check (
        (key = 'agents_enabled' and jsonb_typeof(value) = 'boolean') or
        (key = 'max_parallel_runs' and (value = 'null'::jsonb or (jsonb_typeof(value) = 'number' and (value)::text::numeric >= 1))) or
        (key in ('run_log_retention_days', 'webhook_delivery_retention_days', 'idempotency_key_retention_hours')
          and jsonb_typeof(value) = 'number' and (value)::text::numeric >= 1)
      )`)
    this.schema.raw(`
      insert into settings (key, value) values
        ('run_log_retention_days', '90'),
        ('webhook_delivery_retention_days', '30'),
        ('idempotency_key_retention_hours', '24')
      on conflict (key) do nothing`)

    this.schema.raw(`
      alter table runs
        add column logs_pruned_at timestamptz,
        add column logs_pruned_older_than_days integer`)

    // prune_retained_data took over from prune_idempotency_keys: no worker knows that task any
    // more, so its pending cron job would wait forever.
    this.schema.raw(`
      do $$ begin
        if to_regprocedure('graphile_worker.remove_job(text)') is not null then
          perform graphile_worker.remove_job('prune_idempotency_keys');
        end if;
      end $$`)
  }

  async down() {
    this.schema.raw(
      `alter table runs drop column logs_pruned_at, drop column logs_pruned_older_than_days`
    )
    this.schema.raw(`
      delete from settings where key in
        ('run_log_retention_days', 'webhook_delivery_retention_days', 'idempotency_key_retention_hours')`)
    this.schema.raw(`alter table settings drop constraint settings_known_key`)
    this.schema.raw(`alter table settings drop constraint settings_value_type`)
    this.schema.raw(
      `alter table settings add constraint settings_known_key check (key in ('agents_enabled', 'max_parallel_runs'))`
    )
    this.schema.raw(`
      alter table settings add constraint settings_value_type check (
        (key = 'agents_enabled' and jsonb_typeof(value) = 'boolean') or
        (key = 'max_parallel_runs' and (value = 'null'::jsonb or (jsonb_typeof(value) = 'number' and (value)::text::numeric >= 1)))
      )`)
  }
}
