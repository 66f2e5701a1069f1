import { BaseSchema } from '@adonisjs/lucid/schema'

export default class extends BaseSchema {
  protected tableName = 'runs'

  async up() {
    this.schema.createTable(this.tableName, (table) => {
      table.increments('id')
      table
        .integer('work_item_id')
        .notNullable()
        .references('id')
        .inTable('work_items')
        .onDelete('CASCADE')
      // Denormalised from the work item so that budget sums and per-project pages are index-backed.
      table
        .integer('project_id')
        .notNullable()
        .references('id')
        .inTable('projects')
        .onDelete('CASCADE')
      // An agent with runs keeps its history: disable it instead of deleting it.
      table
        .integer('agent_id')
        .notNullable()
        .references('id')
        .inTable('agents')
        .onDelete('RESTRICT')
      table.integer('attempt').notNullable()
      table
        .enu('status', ['running', 'succeeded', 'failed', 'timed_out', 'cancelled', 'released'])
        .notNullable()
        .defaultTo('running')
      table.timestamp('started_at').notNullable().defaultTo(this.now())
      table.timestamp('heartbeat_at').nullable()
      table.timestamp('lease_expires_at').notNullable()
      table.timestamp('finished_at').nullable()
      table.timestamp('cancel_requested_at').nullable()
      table.text('progress').nullable()
      table.text('summary').nullable()
      table.text('error').nullable()
      table.string('branch_name').nullable()
      table.string('pr_url', 2048).nullable()
      table.integer('pr_number').nullable()
      table.string('head_sha', 64).nullable()
      table.string('logs_url', 2048).nullable()
      table.string('artifacts_url', 2048).nullable()
      table.jsonb('costs').nullable()
      table.decimal('cost_usd', 12, 4).notNullable().defaultTo(0)
      table.jsonb('tests').nullable()
      table.enu('gate_status', ['pending', 'passed', 'failed']).nullable()
      table.jsonb('gate_results').notNullable().defaultTo('[]')
      table.timestamp('gates_evaluated_at').nullable()
      table.enu('review_status', ['approved', 'rejected']).nullable()
      table
        .integer('reviewed_by_user_id')
        .nullable()
        .references('id')
        .inTable('users')
        .onDelete('SET NULL')
      table.timestamp('reviewed_at').nullable()
      // Server-assigned sequence of the last log line; bumped atomically per batch.
      table.integer('last_log_seq').notNullable().defaultTo(0)
      table.timestamp('created_at').notNullable().defaultTo(this.now())
      table.timestamp('updated_at').notNullable().defaultTo(this.now())
    })
    this.schema.raw('alter table runs add constraint runs_attempt_positive check (attempt >= 1)')
    this.schema.raw('alter table runs add constraint runs_cost_non_negative check (cost_usd >= 0)')
    // At most one running run per work item (spec §1): the last line of defence against a double claim.
    this.schema.raw(
      `create unique index runs_one_running_per_item on runs (work_item_id) where status = 'running'`
    )
    // Per-agent concurrency, global cap and the lease reaper look only at running runs.
    this.schema.raw(
      `create index runs_running_by_agent on runs (agent_id) where status = 'running'`
    )
    this.schema.raw(
      `create index runs_running_by_lease on runs (lease_expires_at) where status = 'running'`
    )
    this.schema.raw(
      `create index runs_pending_gates on runs (gates_evaluated_at) where gate_status = 'pending'`
    )
    this.schema.raw('create index runs_work_item on runs (work_item_id, id desc)')
    this.schema.raw('create index runs_project_started on runs (project_id, started_at)')
    this.schema.raw(
      'create index runs_finished_at on runs (finished_at) where finished_at is not null'
    )
    this.schema.raw('create index runs_agent_id on runs (agent_id, id desc)')
  }

  async down() {
    this.schema.dropTable(this.tableName)
  }
}
