import { test } from '@japa/runner'
import app from '@adonisjs/core/services/app'
import db from '@adonisjs/lucid/services/db'
import { MigrationRunner } from '@adonisjs/lucid/migration'

async function migrate(direction: 'up' | 'down') {
  const migrator = new MigrationRunner(db, app, {
    direction,
    ...(direction === 'down' ? { batch: 0 } : {}),
    dryRun: false,
  })
  await migrator.run()
  if (migrator.error) throw migrator.error
  return migrator
}

async function tables() {
  const { rows } = await db.rawQuery(
    `select table_name from information_schema.tables
     where table_schema = 'public' and table_name not like 'adonis_schema%' order by 1`
  )
  return rows.map((row: { table_name: string }) => row.table_name)
}

test.group('Migrations', () => {
  test('roll back to zero and run again cleanly', async ({ assert }) => {
    const before = await tables()
    assert.includeMembers(before, ['users', 'projects', 'agents', 'work_items', 'runs', 'run_logs'])

    await migrate('down')
    assert.deepEqual(await tables(), [])

    await migrate('up')
    assert.deepEqual(await tables(), before)
    const settings = await db.from('settings').orderBy('key')
    assert.deepEqual(
      settings.map((row) => [row.key, row.value]),
      [
        ['agents_enabled', true],
        ['idempotency_key_retention_hours', 24],
        ['max_parallel_runs', null],
        ['run_log_retention_days', 90],
        ['webhook_delivery_retention_days', 30],
      ]
    )
  })
})
