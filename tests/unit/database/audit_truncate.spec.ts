import { test } from '@japa/runner'
import db from '@adonisjs/lucid/services/db'

test.group('audit_events refuses TRUNCATE', () => {
  test('a database that has not opted out refuses to empty the audit log', async ({ assert }) => {
    await db.transaction(async (trx) => {
      // The test database opts out; a production database never does.
      await trx.rawQuery(`set local gatehouse.audit_truncate_allowed = 'off'`)
      await trx.rawQuery('savepoint attempt')
      const error = await trx
        .rawQuery('truncate audit_events')
        .then(() => null)
        .catch((caught: Error) => caught)
      assert.match(String(error), /audit events are immutable/)
      await trx.rawQuery('rollback to savepoint attempt')
    })
  })
})
