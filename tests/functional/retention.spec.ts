import { test } from '@japa/runner'
import { DateTime } from 'luxon'
import db from '@adonisjs/lucid/services/db'
import pruneRetainedData, { PRUNE_JOB_KEY } from '#jobs/prune_retained_data'
import Integration from '#models/integration'
import Run from '#models/run'
import { retainedData } from '#services/retention/retention_pruner'
import { claimedRun } from '#tests/support/claimed_run'
import { emptyWorld, setSettings } from '#tests/support/test_database'
import { discardQueuedJobs } from '#tests/support/queued_jobs'
import { asUser, userWithRole, leaveNothingBehind } from '#tests/support/admin_pages'

/** Log lines of a run, each `age` old (as Postgres intervals, e.g. '11 days'). */
async function logLines(runId: number, ages: string[]) {
  for (const [index, age] of ages.entries()) {
    await db.rawQuery(
      `insert into run_logs (run_id, seq, message, created_at)
       values (?, ?, ?, now() - ?::interval)`,
      [runId, index + 1, `line ${index + 1} (${age} old)`, age]
    )
  }
}

async function webhookDeliveries(ages: string[]) {
  for (const [index, age] of ages.entries()) {
    await db.rawQuery(
      `insert into webhook_deliveries (delivery_id, event, status, received_at)
       values (?, 'issues', 'processed', now() - ?::interval)`,
      [`delivery-${index}-${age}`, age]
    )
  }
}

async function idempotencyKeys(ages: string[]) {
  for (const [index, age] of ages.entries()) {
    await db.rawQuery(
      `insert into idempotency_keys (token_kind, token_id, key, fingerprint, status_code, created_at)
       values ('agent', 1, ?, 'f', 201, now() - ?::interval)`,
      [`key-${index}-${age}`, age]
    )
  }
}

/** Outgoing deliveries to one webhook integration, each `[age, status]`, with one attempt each. */
async function notificationDeliveries(deliveries: [string, string][]) {
  const { project } = await claimedRun()
  const integration = await Integration.connect(
    project,
    {
      kind: 'webhook',
      name: 'ops-hook',
      secret: 'signing-secret',
      url: 'https://hooks.example.com/gatehouse',
      events: null,
    },
    await userWithRole('maintainer'),
    null
  )
  for (const [age, status] of deliveries) {
    const { rows } = await db.rawQuery(
      `insert into notification_deliveries (project_id, integration_id, event, data, status, created_at)
       values (?, ?, 'item.completed', '{}', ?, now() - ?::interval) returning id`,
      [project.id, integration.id, status, age]
    )
    await db.rawQuery(
      `insert into notification_delivery_attempts (notification_delivery_id, attempt, duration_ms)
       values (?, 1, 5)`,
      [rows[0].id]
    )
  }
}

async function count(table: string) {
  const { rows } = await db.rawQuery(`select count(*)::int as count from ${table}`)
  return rows[0].count as number
}

async function pendingPasses() {
  const { rows } = await db.rawQuery(
    `select count(*)::int as count from graphile_worker.jobs
      where task_identifier = 'prune_retained_data' and key = ? and locked_at is null`,
    [PRUNE_JOB_KEY]
  )
  return rows[0].count as number
}

test.group('Retention (prune_retained_data)', (group) => {
  group.each.setup(async () => {
    await emptyWorld()
    await discardQueuedJobs()
  })
  group.each.teardown(() => discardQueuedJobs())
  group.teardown(() => leaveNothingBehind())

  test('deletes only what is older than each setting, and notes it on the runs', async ({
    assert,
  }) => {
    await setSettings({
      run_log_retention_days: 10,
      webhook_delivery_retention_days: 5,
      idempotency_key_retention_hours: 48,
    })
    const { run: oldRun } = await claimedRun()
    const { run: recentRun } = await claimedRun()
    await logLines(oldRun.id, ['11 days', '10 days 1 hour', '9 days', '1 minute'])
    await logLines(recentRun.id, ['9 days 23 hours', '1 day'])
    await webhookDeliveries(['6 days', '5 days 1 minute', '4 days 23 hours', '0 seconds'])
    await idempotencyKeys(['49 hours', '47 hours', '1 hour'])

    await pruneRetainedData({})

    const lines = await db.from('run_logs').orderBy(['run_id', 'seq']).select('run_id', 'seq')
    assert.deepEqual(
      lines.map((line) => [line.run_id, line.seq]),
      [
        [oldRun.id, 3],
        [oldRun.id, 4],
        [recentRun.id, 1],
        [recentRun.id, 2],
      ]
    )
    const deliveries = await db.from('webhook_deliveries').orderBy('id').select('delivery_id')
    assert.deepEqual(
      deliveries.map((row) => row.delivery_id),
      ['delivery-2-4 days 23 hours', 'delivery-3-0 seconds']
    )
    const keys = await db.from('idempotency_keys').orderBy('id').select('key')
    assert.deepEqual(
      keys.map((row) => row.key),
      ['key-1-47 hours', 'key-2-1 hour']
    )

    const pruned = await Run.findOrFail(oldRun.id)
    assert.equal(pruned.logsPrunedOlderThanDays, 10)
    assert.isBelow(Math.abs(pruned.logsPrunedAt!.diffNow().as('seconds')), 60)
    const untouched = await Run.findOrFail(recentRun.id)
    assert.isNull(untouched.logsPrunedAt)
    assert.equal(await pendingPasses(), 0, 'a complete pass enqueues no other')
  })

  test('sent notification deliveries go with the received ones; one being redelivered stays', async ({
    assert,
  }) => {
    await setSettings({ webhook_delivery_retention_days: 5 })
    await notificationDeliveries([
      ['6 days', 'delivered'],
      ['6 days', 'failed'],
      ['6 days', 'pending'],
      ['4 days', 'delivered'],
    ])

    await pruneRetainedData({})

    const left = await db.from('notification_deliveries').orderBy('id').select('status')
    assert.deepEqual(
      left.map((row) => row.status),
      ['pending', 'delivered']
    )
    assert.equal(await count('notification_delivery_attempts'), 2, 'attempts go with them')
  })

  test('the run page says when its logs were pruned', async ({ client, assert }) => {
    await setSettings({ run_log_retention_days: 7 })
    const { run } = await claimedRun()
    await logLines(run.id, ['8 days', '1 day'])
    const viewer = await userWithRole('viewer')

    const before = await asUser(client, viewer, 'get', `/runs/${run.id}`)
    assert.notInclude(before.text(), 'were deleted on')

    await pruneRetainedData({})

    const page = await asUser(client, viewer, 'get', `/runs/${run.id}`)
    page.assertStatus(200)
    const today = DateTime.utc().toFormat('yyyy-LL-dd')
    assert.include(page.text(), `Logs older than 7 days were deleted on ${today}`)
    assert.include(page.text(), 'line 2 (1 day old)')
    assert.notInclude(page.text(), 'line 1 (8 days old)')
  })

  test('a pass stops at its deadline and the next pass continues where it stopped', async ({
    assert,
  }) => {
    const { run } = await claimedRun()
    await logLines(run.id, ['100 days', '99 days', '98 days', '97 days', '96 days'])
    await webhookDeliveries(['40 days', '39 days', '38 days'])
    await idempotencyKeys(['30 hours'])
    // A deadline already passed: one round of 2-row batches, then the pass stops.
    const onePass = () => pruneRetainedData({}, undefined, { batchSize: 2, deadline: Date.now() })

    await onePass()
    assert.deepEqual(
      [await count('run_logs'), await count('webhook_deliveries'), await count('idempotency_keys')],
      [3, 1, 0]
    )
    assert.equal(await pendingPasses(), 1, 'the rest is left to another pass')
    const seqs = await db.from('run_logs').orderBy('seq').select('seq')
    assert.deepEqual(
      seqs.map((row) => row.seq),
      [3, 4, 5],
      'the oldest went first'
    )

    await onePass()
    assert.deepEqual([await count('run_logs'), await count('webhook_deliveries')], [1, 0])
    await discardQueuedJobs()
    await onePass()
    assert.equal(await count('run_logs'), 0)
    assert.equal(await pendingPasses(), 0, 'done: nothing more enqueued')
  })

  test('every batch of every retained table walks an index, oldest first', async ({ assert }) => {
    await db.transaction(async (trx) => {
      // On small test tables the planner prefers a sequential scan; forbidding it shows
      // whether an index can serve the batch at all (without one the plan keeps its Seq Scan).
      await trx.rawQuery('set local enable_seqscan = off')
      await trx.rawQuery('set local enable_sort = off')
      for (const data of retainedData) {
        const { rows } = await trx.rawQuery(
          `explain select id from ${data.table}
            where ${data.agedBy} < now() - interval '1 day' order by ${data.agedBy} limit 1000`
        )
        const plan = rows.map((row: Record<string, string>) => row['QUERY PLAN']).join('\n')
        assert.match(plan, /Index (Only )?Scan/, `${data.table}:\n${plan}`)
        assert.notMatch(plan, /Seq Scan|Sort/, `${data.table}:\n${plan}`)
      }
    })
  })
})
