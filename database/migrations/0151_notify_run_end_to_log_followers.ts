import { BaseSchema } from '@adonisjs/lucid/schema'

/**
 * Live log pages end their stream when the run ends. However a run ends (complete, release,
 * cancel, the reaper), this trigger announces it on the run-log channel, on commit.
 */
export default class extends BaseSchema {
  async up() {
    this.schema.raw(`
      create function runs_notify_log_followers() returns trigger language plpgsql as $$
      begin
        perform pg_notify('gatehouse_run_logs', new.id::text);
        return null;
      end $$`)
    this.schema.raw(`
      create trigger runs_notify_log_followers after update of status on runs
      for each row when (old.status = 'running' and new.status <> 'running')
      execute function runs_notify_log_followers()`)
  }

  async down() {
    this.schema.raw('drop trigger runs_notify_log_followers on runs')
    this.schema.raw('drop function runs_notify_log_followers()')
  }
}
