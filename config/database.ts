import env from '#start/env'
import app from '@adonisjs/core/services/app'
import { defineConfig } from '@adonisjs/lucid'
import DatabaseServer from '#infrastructure/database_server'

const dbConfig = defineConfig({
  connection: 'postgres',
  prettyPrintDebugQueries: true,
  connections: {
    postgres: {
      client: 'pg',
      connection: DatabaseServer.connectionConfig(),
      pool: {
        min: 0,
        max: env.get('DATABASE_POOL_MAX') ?? 20,
        afterCreate: (connection: any, done: (error: Error | null, connection: any) => void) => {
          // Idle clients see the server go away at shutdown (57P01); without a listener pg crashes.
          connection.on('error', () => {})
          done(null, connection)
        },
      },
      migrations: {
        naturalSort: true,
        paths: ['database/migrations'],
      },
      schemaGeneration: {
        enabled: !app.inProduction,
        rulesPaths: ['./database/schema_rules.js'],
      },
    },
  },
})

export default dbConfig
