import { test } from '@japa/runner'
import { DateTime } from 'luxon'
import db from '@adonisjs/lucid/services/db'
import testUtils from '@adonisjs/core/services/test_utils'
import { claimedRun, tokenFor } from '#tests/support/claimed_run'
import { AgentFactory } from '#database/factories/agent_factory'
import AuditEvent from '#models/audit_event'

async function gateJobFor(runId: number) {
  const { rows } = await db.rawQuery(
    `select run_at from graphile_worker.jobs where task_identifier = 'evaluate_gates' and key = ?`,
    [`evaluate_gates:${runId}`]
  )
  return rows[0] as { run_at: Date } | undefined
}

test.group('POST /api/v1/runs/:id/complete', (group) => {
  group.each.setup(() => testUtils.db().truncate())

  test('success with no accept gates completes the item at once', async ({ client, assert }) => {
    const { run, item, token } = await claimedRun()

    const response = await client
      .post(`/api/v1/runs/${run.id}/complete`)
      .bearerToken(token)
      .json({
        outcome: 'succeeded',
        summary: 'Fixed the flaky test',
        branch_name: 'agent/fix-42',
        pr_url: 'https://github.com/acme/app/pull/7',
        pr_number: 7,
        head_sha: 'abc1234def',
        costs: { input_tokens: 1200, output_tokens: 300, usd: 0.42, model: 'claude' },
        tests: { passed: 12, failed: 0, skipped: 1 },
      })

    response.assertStatus(200)
    response.assertBodyContains({
      run: { id: run.id, status: 'succeeded', gate_status: 'passed', pr_number: 7, cost_usd: 0.42 },
      work_item: { id: item.id, status: 'completed' },
    })
    await item.refresh()
    assert.equal(item.status, 'completed')
    assert.isNotNull(item.completedAt)
    assert.isNull(item.lockedByAgentId)
    await run.refresh()
    assert.isNotNull(run.finishedAt)
    assert.deepEqual(run.tests, { passed: 12, failed: 0, skipped: 1 })
    const auditEvents = await AuditEvent.query().orderBy('id')
    const actions = auditEvents.map((event) => event.action)
    assert.deepEqual(actions, ['run.succeeded', 'gate.passed', 'work_item.completed'])
  })

  test('success with a gate still waiting leaves the item verifying and schedules re-evaluation', async ({
    client,
    assert,
  }) => {
    const { run, item, token } = await claimedRun({
      gates: { human_review: true },
      policies: { ci_timeout_minutes: 30 },
    })

    const response = await client
      .post(`/api/v1/runs/${run.id}/complete`)
      .bearerToken(token)
      .json({ outcome: 'succeeded' })

    response.assertBodyContains({
      run: { gate_status: 'pending' },
      work_item: { id: item.id, status: 'verifying' },
    })
    const job = await gateJobFor(run.id)
    assert.exists(job, 'an evaluate_gates job is keyed on the run')
    assert.closeTo(DateTime.fromJSDate(job!.run_at).diffNow('minutes').minutes, 30, 0.2)
  })

  test('failure sends the item back to pending after the backoff', async ({ client, assert }) => {
    const { run, item, token } = await claimedRun({ attempts: 1 })

    const response = await client
      .post(`/api/v1/runs/${run.id}/complete`)
      .bearerToken(token)
      .json({ outcome: 'failed', error: 'compilation failed' })

    response.assertStatus(200)
    response.assertBodyContains({
      run: { status: 'failed', error: 'compilation failed', gate_status: null },
      work_item: { status: 'pending' },
    })
    await item.refresh()
    assert.equal(item.attempts, 1)
    assert.isNull(item.lockedByAgentId)
    assert.closeTo(item.runAfter.diffNow('seconds').seconds, 30, 2)
  })

  test('failure on the last attempt fails the item', async ({ client, assert }) => {
    const { run, item, token } = await claimedRun({ attempts: 2, maxAttempts: 2 })

    const response = await client
      .post(`/api/v1/runs/${run.id}/complete`)
      .bearerToken(token)
      .json({ outcome: 'failed' })

    response.assertBodyContains({ work_item: { status: 'failed' } })
    await item.refresh()
    assert.equal(item.status, 'failed')
    const failed = await AuditEvent.findByOrFail('action', 'work_item.failed')
    assert.equal(failed.details.max_attempts, 2)
  })

  test('the same report repeated gets the same answer and changes nothing more', async ({
    client,
    assert,
  }) => {
    const { run, token } = await claimedRun()
    const report = { outcome: 'failed', error: 'nope' }

    const first = await client
      .post(`/api/v1/runs/${run.id}/complete`)
      .bearerToken(token)
      .json(report)
    const again = await client
      .post(`/api/v1/runs/${run.id}/complete`)
      .bearerToken(token)
      .json(report)

    again.assertStatus(200)
    assert.deepEqual(again.body(), first.body())
    assert.lengthOf(await AuditEvent.query().where('action', 'run.failed'), 1)
  })

  test('a different outcome for a finished run is 409 and changes nothing', async ({
    client,
    assert,
  }) => {
    const { run, item, token } = await claimedRun()
    await client
      .post(`/api/v1/runs/${run.id}/complete`)
      .bearerToken(token)
      .json({ outcome: 'failed' })
    await item.refresh()
    const before = item.runAfter.toMillis()

    const response = await client
      .post(`/api/v1/runs/${run.id}/complete`)
      .bearerToken(token)
      .json({ outcome: 'succeeded' })

    response.assertStatus(409)
    response.assertHeader('content-type', 'application/problem+json; charset=utf-8')
    await run.refresh()
    await item.refresh()
    assert.equal(run.status, 'failed')
    assert.equal(item.status, 'pending')
    assert.equal(item.runAfter.toMillis(), before)
  })

  test('an invalid report is 422 per field and the run keeps running', async ({
    client,
    assert,
  }) => {
    const { run, token } = await claimedRun()

    const response = await client
      .post(`/api/v1/runs/${run.id}/complete`)
      .bearerToken(token)
      .json({ outcome: 'done', pr_number: 'seven', tests: { passed: 1 } })

    response.assertStatus(422)
    const fields = response
      .body()
      .errors.map((error: any) => error.field)
      .sort()
    assert.deepEqual(fields, ['outcome', 'pr_number', 'tests.failed'])
    await run.refresh()
    assert.equal(run.status, 'running')
  })

  test('another agent’s run is 404; no token is 401', async ({ client, assert }) => {
    const { run } = await claimedRun()
    const stranger = await tokenFor(await AgentFactory.create())

    const foreign = await client
      .post(`/api/v1/runs/${run.id}/complete`)
      .bearerToken(stranger)
      .json({ outcome: 'succeeded' })
    foreign.assertStatus(404)
    const anonymous = await client
      .post(`/api/v1/runs/${run.id}/complete`)
      .json({ outcome: 'succeeded' })
    anonymous.assertStatus(401)
    await run.refresh()
    assert.equal(run.status, 'running')
  })
})
