import type { ApplicationService } from '@adonisjs/core/types'
import DatabaseServer from '#infrastructure/database_server'

/** Stops the embedded Postgres this process started, after everything else has shut down. */
export default class DatabaseServerProvider {
  constructor(protected app: ApplicationService) {}

  async shutdown() {
    await DatabaseServer.stop()
  }
}
