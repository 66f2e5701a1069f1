/*
 * `npm start`: Postgres (embedded unless DATABASE_URL is set), migrations, the first admin,
 * then the HTTP server and the job worker in this one process. SIGTERM/SIGINT stop it all,
 * within 10 s whatever is in flight, even in the middle of start-up.
 */
import 'reflect-metadata'
import { createServer } from 'node:http'
import { Ignitor, prettyPrintError } from '@adonisjs/core'

const APP_ROOT = new URL('../', import.meta.url)

const IMPORTER = (filePath: string) => {
  if (filePath.startsWith('./') || filePath.startsWith('../')) {
    return import(new URL(filePath, APP_ROOT).href)
  }
  return import(filePath)
}

const { default: shutdown, StartCancelled } = await import('#infrastructure/shutdown')
const { stopOnSignals } = await import('#infrastructure/process_stop')
const { drainOnShutdown } = await import('#infrastructure/http_drain')

let startup: Promise<void> | undefined

startup = new Ignitor(APP_ROOT, { importer: IMPORTER })
  .tap((app) => {
    app.booting(async () => {
      await import('#start/env')
      const { default: DatabaseServer } = await import('#infrastructure/database_server')
      await shutdown.track('database start', () => DatabaseServer.ensure())
      shutdown.throwIfBegun('database start')
    })
    app.starting(async () => {
      const { default: Installation } = await import('#infrastructure/installation')
      shutdown.throwIfBegun('migrations')
      await shutdown.track('migrations', () => Installation.prepare())
      shutdown.throwIfBegun('migrations')
    })
    app.ready(async () => {
      if (shutdown.begun) return
      const { default: Installation } = await import('#infrastructure/installation')
      Installation.announce()
    })
    stopOnSignals(app, () => startup)
  })
  .httpServer()
  .start((handler) => drainOnShutdown(createServer(handler)))
  .catch((error) => {
    if (error instanceof StartCancelled) return
    process.exitCode = 1
    prettyPrintError(error)
  })
