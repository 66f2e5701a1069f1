import db from '@adonisjs/lucid/services/db'
import { Counter, Gauge, Histogram, Registry } from 'prom-client'

/**
 * Gatehouse's Prometheus series (docs/operations.md, "Metrics"). Counters and histograms are
 * this process's: they move where the events happen (claims, run ends, the reaper, webhook
 * processing, HTTP). Gauges are read from Postgres at scrape time by `collectGauges`, a fixed
 * number of grouped queries whatever the number of projects.
 */
export const registry = new Registry()

const DURATIONS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30]
const RUN_DURATIONS = [10, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200, 14400]

export const claimsTotal = new Counter({
  name: 'gatehouse_claims_total',
  help: 'Claim attempts by outcome (claimed, none, agent_at_limit, system_at_limit, agents_disabled, agent_disabled).',
  labelNames: ['outcome'],
  registers: [registry],
})

export const claimDuration = new Histogram({
  name: 'gatehouse_claim_duration_seconds',
  help: 'Time of one claim attempt (the claim transaction, without any long-poll wait).',
  labelNames: ['outcome'],
  buckets: DURATIONS,
  registers: [registry],
})

export const runDuration = new Histogram({
  name: 'gatehouse_run_duration_seconds',
  help: 'Run time from claim to end, by how the run ended.',
  labelNames: ['outcome'],
  buckets: RUN_DURATIONS,
  registers: [registry],
})

export const leaseExpiries = new Counter({
  name: 'gatehouse_lease_expiries_total',
  help: 'Runs timed out by the reaper, by reason (lease expired or max run time).',
  labelNames: ['reason'],
  registers: [registry],
})

export const gateVerdicts = new Counter({
  name: 'gatehouse_gate_verdicts_total',
  help: 'Gate verdicts recorded, by gate and result (passed, failed, pending).',
  labelNames: ['gate', 'result'],
  registers: [registry],
})

export const webhookDeliveries = new Counter({
  name: 'gatehouse_webhook_deliveries_total',
  help: 'GitHub webhook deliveries processed, by result (processed, ignored, failed).',
  labelNames: ['result'],
  registers: [registry],
})

export const notificationDeliveries = new Counter({
  name: 'gatehouse_notification_deliveries_total',
  help: 'Notification delivery attempts (slack, webhook) by result (delivered, retrying, failed: the last attempt failed).',
  labelNames: ['result'],
  registers: [registry],
})

export const httpDuration = new Histogram({
  name: 'gatehouse_http_request_duration_seconds',
  help: 'HTTP request durations by route pattern, method and status class.',
  labelNames: ['route', 'method', 'status'],
  buckets: DURATIONS,
  registers: [registry],
})

const claimableItems = new Gauge({
  name: 'gatehouse_claimable_items',
  help: 'Pending work items whose run_after has passed, per project.',
  labelNames: ['project'],
  registers: [registry],
})

const oldestClaimableAge = new Gauge({
  name: 'gatehouse_oldest_claimable_age_seconds',
  help: 'Age of the oldest pending work item whose run_after has passed, per project.',
  labelNames: ['project'],
  registers: [registry],
})

const itemsByStatus = new Gauge({
  name: 'gatehouse_work_items',
  help: 'Work items by status.',
  labelNames: ['status'],
  registers: [registry],
})

const jobQueueDepth = new Gauge({
  name: 'gatehouse_job_queue_depth',
  help: 'Jobs waiting in graphile-worker by task (not locked, still retryable).',
  labelNames: ['task'],
  registers: [registry],
})

const jobFailures = new Gauge({
  name: 'gatehouse_job_failures',
  help: 'Jobs in graphile-worker that failed at least once (last_error set), by task; permanently failed ones included.',
  labelNames: ['task'],
  registers: [registry],
})

const WORK_ITEM_STATUSES = [
  'pending',
  'in_progress',
  'verifying',
  'completed',
  'failed',
  'cancelled',
  'blocked',
]

/**
 * Reads the gauges: three grouped queries, never one per project. The two on work_items read
 * indexes only (migration 0531; EXPLAINed at 1,000,000 items in metrics_volume.spec.ts): claimable
 * items per project from the pending-by-project partial index, items by status from the
 * status-only index. The job queue is graphile-worker's table, small while jobs get done.
 */
export async function collectGauges() {
  const [claimable, statuses, jobs] = await Promise.all([
    db.rawQuery(
      `select projects.slug, c.claimable, c.oldest_age
         from (select project_id, count(*)::int as claimable,
                      extract(epoch from now() - min(created_at))::float8 as oldest_age
                 from work_items
                where status = 'pending' and run_after <= now()
                group by project_id) c
         join projects on projects.id = c.project_id`
    ),
    db.rawQuery(`select status, count(*)::int as count from work_items group by status`),
    db.rawQuery(
      `select task_identifier as task,
              count(*) filter (where locked_at is null and attempts < max_attempts)::int as waiting,
              count(*) filter (where last_error is not null)::int as failed
         from graphile_worker.jobs
        group by task_identifier`
    ),
  ])
  claimableItems.reset()
  oldestClaimableAge.reset()
  for (const row of claimable.rows) {
    claimableItems.set({ project: row.slug }, row.claimable)
    oldestClaimableAge.set({ project: row.slug }, Math.max(0, row.oldest_age))
  }
  itemsByStatus.reset()
  for (const status of WORK_ITEM_STATUSES) itemsByStatus.set({ status }, 0)
  for (const row of statuses.rows) itemsByStatus.set({ status: row.status }, row.count)
  jobQueueDepth.reset()
  jobFailures.reset()
  for (const row of jobs.rows) {
    jobQueueDepth.set({ task: row.task }, row.waiting)
    jobFailures.set({ task: row.task }, row.failed)
  }
}

/** Seconds since `start` (a `process.hrtime.bigint()`). */
export function secondsSince(start: bigint) {
  return Number(process.hrtime.bigint() - start) / 1e9
}
