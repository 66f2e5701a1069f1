import db from '@adonisjs/lucid/services/db'
import { POLICY_DEFAULTS } from '#models/policy'
import { leaseExpiries } from '#infrastructure/metrics'
import RunLifecycle from '#services/runs/run_lifecycle'

export type ReapedRun = {
  runId: number
  workItemId: number
  reason: string
  workItemStatus: string
}

/**
 * Finds running runs whose lease expired or whose total time passed the project's
 * `max_run_seconds` (spec §3), and times each out in a transaction of its own.
 */
export default class RunReaper {
  static async reap(): Promise<ReapedRun[]> {
    // The lease test uses runs_running_by_lease; max run time reads the few running runs.
    const { rows } = await db.rawQuery(
      `select runs.id
         from runs
         left join policies on policies.project_id = runs.project_id and policies.key = 'max_run_seconds'
        where runs.status = 'running'
          and (runs.lease_expires_at <= now()
               or runs.started_at + make_interval(secs => coalesce((policies.value #>> '{}')::numeric, ?)) <= now())
        order by runs.lease_expires_at`,
      [POLICY_DEFAULTS.max_run_seconds]
    )
    const reaped: ReapedRun[] = []
    for (const { id } of rows) {
      const settled = await RunLifecycle.timeOut(id)
      if (!settled) continue
      leaseExpiries.inc({ reason: settled.reason })
      reaped.push({
        runId: settled.run.id,
        workItemId: settled.workItem.id,
        reason: settled.reason,
        workItemStatus: settled.workItem.status,
      })
    }
    return reaped
  }
}
