import db from '@adonisjs/lucid/services/db'
import emitter from '@adonisjs/core/services/emitter'

export type CapturedQuery = { sql: string; bindings: unknown[] }

/** Runs `load` with Lucid's query reporting on, and returns every SQL statement it ran. */
export async function queriesOf(load: () => Promise<unknown>) {
  const captured: CapturedQuery[] = []
  const capture = (query: { sql: string; bindings?: unknown[] }) =>
    captured.push({ sql: query.sql, bindings: query.bindings ?? [] })
  const connection = db.manager.get('postgres')!.connection!
  const prettyPrint = (db as any).prettyPrint
  emitter.off('db:query', prettyPrint)
  emitter.on('db:query', capture)
  connection.config.debug = true
  try {
    await load()
  } finally {
    connection.config.debug = false
    emitter.off('db:query', capture)
  }
  return captured
}

/** The plan of a captured statement as EXPLAIN prints it; `options` e.g. `(analyze, buffers)`. */
export async function planOf(
  query: CapturedQuery,
  options = '',
  client: Pick<typeof db, 'rawQuery'> = db
) {
  const sql = query.sql.replace(/\$\d+/g, '?')
  const { rows } = await client.rawQuery(`explain ${options} ${sql}`, query.bindings as any[])
  return rows.map((row: Record<string, string>) => row['QUERY PLAN']).join('\n')
}
