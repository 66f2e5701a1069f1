/*
 * `npm start`: Postgres (embedded unless DATABASE_URL is set), migrations, the first admin,
 * then the HTTP server and the job worker in this one process. SIGTERM/SIGINT stop it all.
 */
import 'reflect-metadata'
import { Ignitor, prettyPrintError } from '@adonisjs/core'

const APP_ROOT = new URL('../', import.meta.url)

const IMPORTER = (filePath: string) => {
  if (filePath.startsWith('./') || filePath.startsWith('../')) {
    return import(new URL(filePath, APP_ROOT).href)
  }
  return import(filePath)
}

new Ignitor(APP_ROOT, { importer: IMPORTER })
  .tap((app) => {
    app.booting(async () => {
      await import('#start/env')
      const { default: DatabaseServer } = await import('#infrastructure/database_server')
      await DatabaseServer.ensure()
    })
    app.starting(async () => {
      const { default: Installation } = await import('#infrastructure/installation')
      await Installation.prepare()
    })
    app.ready(async () => {
      const { default: Installation } = await import('#infrastructure/installation')
      Installation.announce()
    })
    app.listen('SIGTERM', () => app.terminate())
    app.listen('SIGINT', () => app.terminate())
  })
  .httpServer()
  .start()
  .catch((error) => {
    process.exitCode = 1
    prettyPrintError(error)
  })
