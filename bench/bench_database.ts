import { chmodSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'

/**
 * The URL of a database of the bench's own, `<configured database>_<suffix>`, created when
 * missing, on DATABASE_URL's server or, without one, on a throwaway embedded Postgres.
 */
export async function prepareBenchDatabase(suffix: string): Promise<string> {
  const { default: DatabaseServer } = await import('#infrastructure/database_server')
  if (!DatabaseServer.isConfigured()) {
    const directory = mkdtempSync(join(tmpdir(), 'gatehouse-bench-'))
    chmodSync(directory, 0o755)
    await DatabaseServer.ensure({ directory, persistent: false })
  }
  const url = new URL(DatabaseServer.connectionString())
  const benchDatabase = `${decodeURIComponent(url.pathname.slice(1)) || 'gatehouse'}_${suffix}`
  const maintenance = new URL(url)
  maintenance.pathname = '/postgres'
  const client = new pg.Client({ connectionString: maintenance.toString() })
  client.on('error', () => {})
  await client.connect()
  try {
    const exists = await client.query('select 1 from pg_database where datname = $1', [
      benchDatabase,
    ])
    if (exists.rowCount === 0)
      await client.query(`create database ${client.escapeIdentifier(benchDatabase)}`)
  } finally {
    await client.end()
  }
  url.pathname = `/${encodeURIComponent(benchDatabase)}`
  return url.toString()
}
