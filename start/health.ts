import { HealthChecks } from '@adonisjs/core/health'
import { DbCheck } from '@adonisjs/lucid/database'
import db from '@adonisjs/lucid/services/db'
import { WorkerSchemaCheck } from '#infrastructure/worker_schema_check'

export const healthChecks = new HealthChecks().register([
  new DbCheck(db.connection()),
  new WorkerSchemaCheck(),
])
