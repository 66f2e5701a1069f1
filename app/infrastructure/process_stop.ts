import type { ApplicationService } from '@adonisjs/core/types'
import shutdown from '#infrastructure/shutdown'
import { surviveConnectionLoss } from '#infrastructure/connection_loss'

/**
 * Wires SIGTERM/SIGINT to one stop of the whole process: the stop begins at once (start-up
 * phases bail out, long-polls answer), waits for a start-up still under way to give up, then
 * terminates the app (HTTP server, worker, pools) and stops the embedded Postgres this process
 * owns. The shutdown's deadline bounds all of it.
 */
export function stopOnSignals(
  app: ApplicationService,
  startup: () => Promise<unknown> | undefined
) {
  let stopping: Promise<void> | undefined
  const stop = (signal: string) => {
    shutdown.begin(signal)
    stopping ??= (async () => {
      await startup()?.catch(() => {})
      await shutdown.track('application', () => app.terminate())
      const { default: DatabaseServer } = await import('#infrastructure/database_server')
      await shutdown.track('embedded postgres', () => DatabaseServer.stop())
    })()
  }
  app.listen('SIGTERM', () => stop('SIGTERM'))
  app.listen('SIGINT', () => stop('SIGINT'))
  surviveConnectionLoss((error) =>
    process.stderr.write(`database connection lost: ${(error as Error).message}\n`)
  )
}
