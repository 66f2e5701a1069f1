import 'reflect-metadata'
import { Ignitor, prettyPrintError } from '@adonisjs/core'

const APP_ROOT = new URL('../', import.meta.url)

const IMPORTER = (filePath: string) => {
  if (filePath.startsWith('./') || filePath.startsWith('../')) {
    return import(new URL(filePath, APP_ROOT).href)
  }
  return import(filePath)
}

/** Commands that never touch the database do not start the embedded Postgres. */
function needsDatabase(argv: string[]) {
  const [command] = argv
  if (!command || command.startsWith('-') || argv.includes('--help') || argv.includes('-h')) {
    return false
  }
  return !/^(list|help|test|serve|build|add|configure|eject|agent:run|make:.*|env:.*|generate:key|inspect:.*)$/.test(
    command
  )
}

// Read now: handle() below takes the arguments out of process.argv before the app boots.
const commandLine = process.argv.slice(2)

const { default: shutdown, StartCancelled } = await import('#infrastructure/shutdown')
const { stopOnSignals } = await import('#infrastructure/process_stop')

// A stop waits for the boot (which may be starting the embedded Postgres), not for the
// command: a long-running command (worker, agent:run) ends because the app terminates.
let bootDone: () => void
const boot = new Promise<void>((resolve) => (bootDone = resolve))

new Ignitor(APP_ROOT, { importer: IMPORTER })
  .tap((app) => {
    app.booting(async () => {
      await import('#start/env')
      if (needsDatabase(commandLine)) {
        const { default: DatabaseServer } = await import('#infrastructure/database_server')
        await shutdown.track('database start', () => DatabaseServer.ensure())
        shutdown.throwIfBegun('database start')
      }
    })
    app.booted(() => bootDone())
    stopOnSignals(app, () => boot)
  })
  .ace()
  .handle(process.argv.splice(2))
  .catch((error) => {
    bootDone()
    if (error instanceof StartCancelled) return
    process.exitCode = 1
    prettyPrintError(error)
  })
