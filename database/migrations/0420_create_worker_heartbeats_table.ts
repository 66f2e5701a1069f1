import { BaseSchema } from '@adonisjs/lucid/schema'

/**
 * Crashed-worker recovery (issue 16): every running graphile-worker pool beats here every
 * ~10 s under its pool id (its jobs' `locked_by`); a clean stop removes its row. A row older
 * than a minute is a process that died (SIGKILL, OOM, lost host): the recover_crashed_workers
 * cron task unlocks its jobs so that another worker runs them, instead of graphile-worker's
 * 4-hour stale-lock sweep.
 */
export default class extends BaseSchema {
  async up() {
    this.schema.raw(`
      create table worker_heartbeats (
        worker_id text primary key,
        host text not null,
        pid integer not null,
        started_at timestamptz not null default now(),
        beat_at timestamptz not null default now()
      )`)
  }

  async down() {
    this.schema.raw(`drop table if exists worker_heartbeats`)
  }
}
