import { test } from '@japa/runner'
import db from '@adonisjs/lucid/services/db'
import PostgresListener from '#infrastructure/postgres_listener'

const CHANNEL = 'gatehouse_listener_test'

async function eventually(condition: () => boolean, timeoutMs = 3000) {
  const deadline = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time')
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

async function listeningConnections() {
  const result = await db.rawQuery(
    `select pid from pg_stat_activity where datname = current_database() and query = ?`,
    [`listen ${CHANNEL}`]
  )
  return result.rows as { pid: number }[]
}

test.group('PostgresListener', () => {
  test('one connection however often it is started; it delivers the payloads of its channel', async ({
    assert,
    cleanup,
  }) => {
    const payloads: (string | undefined)[] = []
    const listener = new PostgresListener(CHANNEL, {
      onNotification: (p) => payloads.push(p),
      onReconnect: () => {},
    })
    cleanup(() => listener.close())

    await Promise.all([listener.listen(), listener.listen()])
    await listener.listen()
    assert.lengthOf(await listeningConnections(), 1)

    await db.rawQuery('select pg_notify(?, ?)', [CHANNEL, '42'])
    await db.rawQuery('select pg_notify(?, ?)', ['gatehouse_other_channel', '7'])
    await eventually(() => payloads.length > 0)
    assert.deepEqual(payloads, ['42'])
  })

  test('a killed connection is replaced, onReconnect tells that notifications may have been missed', async ({
    assert,
    cleanup,
  }) => {
    const payloads: (string | undefined)[] = []
    let reconnects = 0
    const listener = new PostgresListener(CHANNEL, {
      onNotification: (p) => payloads.push(p),
      onReconnect: () => reconnects++,
    })
    cleanup(() => listener.close())
    await listener.listen()
    const [before] = await listeningConnections()

    await db.rawQuery('select pg_terminate_backend(?)', [before.pid])
    await eventually(() => reconnects === 1)

    const after = await listeningConnections()
    assert.lengthOf(after, 1)
    assert.notEqual(after[0].pid, before.pid)
    await db.rawQuery('select pg_notify(?, ?)', [CHANNEL, 'after'])
    await eventually(() => payloads.length > 0)
    assert.deepEqual(payloads, ['after'])
  })

  test('once closed, it neither listens nor reconnects', async ({ assert }) => {
    let reconnects = 0
    const listener = new PostgresListener(CHANNEL, {
      onNotification: () => {},
      onReconnect: () => reconnects++,
    })
    await listener.listen()

    await listener.close()
    await new Promise((resolve) => setTimeout(resolve, 300))
    assert.lengthOf(await listeningConnections(), 0)
    assert.equal(reconnects, 0)
  })
})
