import { randomBytes } from 'node:crypto'
import app from '@adonisjs/core/services/app'
import logger from '@adonisjs/core/services/logger'
import db from '@adonisjs/lucid/services/db'
import { MigrationRunner } from '@adonisjs/lucid/migration'
import env from '#start/env'
import User from '#models/user'
import Worker from '#infrastructure/worker'
import DatabaseServer from '#infrastructure/database_server'

let oneTimePassword: { email: string; password: string } | undefined

/**
 * What `npm start` does before serving: bring the schema (Gatehouse's and graphile-worker's)
 * up to date and, on first boot only, create the admin whose password is printed once.
 */
export default class Installation {
  static async prepare() {
    await this.migrate()
    await Worker.migrate()
    oneTimePassword = await this.createFirstAdmin()
  }

  static async migrate() {
    const migrator = new MigrationRunner(db, app, { direction: 'up', dryRun: false })
    await migrator.run()
    if (migrator.error) throw migrator.error
    const applied = Object.values(migrator.migratedFiles).filter(
      (file) => file.status === 'completed'
    )
    if (applied.length) logger.info({ migrations: applied.length }, 'database migrated')
  }

  /** Creates `admin@gatehouse.local` when there is no user at all; returns its password. */
  static async createFirstAdmin() {
    return db.transaction(async (trx) => {
      // Two processes booting at once must not both create (and print) an admin.
      await trx.rawQuery('select pg_advisory_xact_lock(hashtext(?))', ['gatehouse:first-admin'])
      const existing = await User.query({ client: trx }).first()
      if (existing) return undefined
      const password = randomBytes(12).toString('base64url')
      const email = 'admin@gatehouse.local'
      await User.register(
        { email, fullName: 'Administrator', password, role: 'admin', mustChangePassword: true },
        'system',
        null,
        { client: trx }
      )
      return { email, password }
    })
  }

  /** The banner a person reads after `npm start`. */
  static announce() {
    const url = env.get('APP_URL') ?? `http://localhost:${env.get('PORT') ?? 3333}`
    const lines = [
      '',
      `  Gatehouse is running at ${url}`,
      `  Database: ${DatabaseServer.isEmbedded ? 'embedded Postgres (data in the data directory)' : 'DATABASE_URL'}`,
    ]
    if (oneTimePassword) {
      lines.push(
        `  First boot: sign in as ${oneTimePassword.email} with password ${oneTimePassword.password}`,
        '  (shown once; you will be asked to set your own at first sign-in)'
      )
    }
    process.stdout.write(lines.join('\n') + '\n\n')
    oneTimePassword = undefined
  }
}
