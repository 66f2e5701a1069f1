import { BaseCheck, Result } from '@adonisjs/core/health'
import type { HealthCheckResult } from '@adonisjs/core/types/health'
import db from '@adonisjs/lucid/services/db'

/** Readiness: graphile-worker's schema exists, so jobs can be enqueued and run. */
export class WorkerSchemaCheck extends BaseCheck {
  name = 'Job queue schema'

  async run(): Promise<HealthCheckResult> {
    try {
      const { rows } = await db.rawQuery(
        `select exists (
           select 1 from pg_proc p join pg_namespace n on n.oid = p.pronamespace
           where n.nspname = 'graphile_worker' and p.proname = 'add_job'
         ) as present`
      )
      return rows[0]?.present
        ? Result.ok('graphile_worker schema is migrated')
        : Result.failed('graphile_worker schema is missing: start the worker or run `worker`')
    } catch (error) {
      return Result.failed('could not inspect the graphile_worker schema', error as Error)
    }
  }
}
