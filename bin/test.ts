/*
 * The test process (`npm test` → `node ace test` → this file). Tests get their own database:
 * DATABASE_URL when given (created if missing), else a throwaway embedded Postgres.
 */
process.env.NODE_ENV = 'test'

import 'reflect-metadata'
import { randomBytes } from 'node:crypto'
import { Ignitor, prettyPrintError } from '@adonisjs/core'
import { configure, processCLIArgs, run } from '@japa/runner'
import { freePort } from '#infrastructure/free_port'

const APP_ROOT = new URL('../', import.meta.url)

const IMPORTER = (filePath: string) => {
  if (filePath.startsWith('./') || filePath.startsWith('../')) {
    return import(new URL(filePath, APP_ROOT).href)
  }
  return import(filePath)
}

// Sessions and encrypted secrets need a key; a fresh one per run keeps tests self-contained.
process.env.APP_KEY ??= randomBytes(32).toString('base64url')
// The test HTTP server listens on a free port, so several test runs can share a machine.
process.env.HOST = '127.0.0.1'
process.env.PORT = String(await freePort())

new Ignitor(APP_ROOT, { importer: IMPORTER })
  .tap((app) => {
    app.booting(async () => {
      await import('#start/env')
      const { prepareTestDatabase } = await import('#tests/support/test_database')
      await prepareTestDatabase()
    })
    app.listen('SIGTERM', () => app.terminate())
    app.listenIf(app.managedByPm2, 'SIGINT', () => app.terminate())
  })
  .testRunner()
  .configure(async (app) => {
    const { runnerHooks, ...config } = await import('../tests/bootstrap.js')

    processCLIArgs(process.argv.splice(2))
    configure({
      ...app.rcFile.tests,
      ...config,
      ...{
        setup: runnerHooks.setup,
        teardown: runnerHooks.teardown.concat([() => app.terminate()]),
      },
    })
  })
  .run(() => run())
  .catch((error) => {
    process.exitCode = 1
    prettyPrintError(error)
  })
