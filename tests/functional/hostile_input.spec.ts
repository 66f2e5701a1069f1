import { test } from '@japa/runner'
import { gzipSync } from 'node:zlib'
import db from '@adonisjs/lucid/services/db'
import AuditEvent from '#models/audit_event'
import Run from '#models/run'
import RunLog from '#models/run_log'
import WebhookDelivery from '#models/webhook_delivery'
import { claimedRun, tokenFor } from '#tests/support/claimed_run'
import { databaseSnapshot } from '#tests/support/database_snapshot'
import { asUser, userWithRole, leaveNothingBehind } from '#tests/support/admin_pages'
import { clearJobs, deliver, githubProject } from '#tests/support/github_world'
import { webhookExample } from '#tests/support/fake_github/recorded_shapes'
import { AgentFactory } from '#database/factories/agent_factory'
import { ProjectFactory } from '#database/factories/project_factory'
import { WorkItemFactory } from '#database/factories/work_item_factory'
import { emptyWorld } from '#tests/support/test_database'

const base = () => `http://${process.env.HOST}:${process.env.PORT}`
const LONE_SURROGATE = '\ud800'

/** The field names a problem document or refusal page reports. */
function refusedFields(body: any): string[] {
  return (body?.errors ?? []).map((error: { field: string }) => error.field)
}

/**
 * Each request below answered 500 when Gatehouse was tried as an attacker would (issue 13).
 * They are refused (4xx, naming the field, nothing stored) or, for signed webhooks, stored
 * with the characters Postgres cannot take replaced.
 */
test.group('Hostile input: the 500s found by the attack, one test each', (group) => {
  group.each.setup(async () => {
    await emptyWorld()
    await clearJobs()
  })
  group.teardown(() => leaveNothingBehind())

  test('NUL in a log line’s data is 422 on that field; nothing stored', async ({
    client,
    assert,
  }) => {
    const { run, token } = await claimedRun()
    const response = await client
      .post(`/api/v1/runs/${run.id}/logs`)
      .bearerToken(token)
      .json({ lines: [{ level: 'info', message: 'ok', data: { note: 'a\u0000b' } }] })
    response.assertStatus(422)
    assert.deepEqual(refusedFields(response.body()), ['lines.0.data.note'])
    assert.lengthOf(await RunLog.query().where('runId', run.id), 0)
  })

  test('a lone surrogate in a log message is 422 on that field; nothing stored', async ({
    client,
    assert,
  }) => {
    const { run, token } = await claimedRun()
    const response = await client
      .post(`/api/v1/runs/${run.id}/logs`)
      .bearerToken(token)
      .json({ lines: [{ level: 'info', message: `half ${LONE_SURROGATE} a pair` }] })
    response.assertStatus(422)
    assert.deepEqual(refusedFields(response.body()), ['lines.0.message'])
    assert.lengthOf(await RunLog.query().where('runId', run.id), 0)
  })

  test('NUL in costs.model is 422 on that field; the run stays running', async ({
    client,
    assert,
  }) => {
    const { run, token } = await claimedRun()
    const response = await client
      .post(`/api/v1/runs/${run.id}/complete`)
      .bearerToken(token)
      .json({ outcome: 'succeeded', costs: { model: 'gpt\u0000' } })
    response.assertStatus(422)
    assert.deepEqual(refusedFields(response.body()), ['costs.model'])
    await run.refresh()
    assert.equal(run.status, 'running')
  })

  test('a lone surrogate in costs.model is 422 on that field; the run stays running', async ({
    client,
    assert,
  }) => {
    const { run, token } = await claimedRun()
    const response = await client
      .post(`/api/v1/runs/${run.id}/complete`)
      .bearerToken(token)
      .json({ outcome: 'succeeded', costs: { model: `m${LONE_SURROGATE}` } })
    response.assertStatus(422)
    assert.deepEqual(refusedFields(response.body()), ['costs.model'])
    await run.refresh()
    assert.equal(run.status, 'running')
  })

  test('a claim sent as text/plain is 415 and claims nothing', async ({ assert }) => {
    const agent = await AgentFactory.create()
    const token = await tokenFor(agent)
    const project = await ProjectFactory.create()
    await WorkItemFactory.merge({ projectId: project.id, status: 'pending' }).create()
    const response = await fetch(`${base()}/api/v1/claims`, {
      method: 'POST',
      headers: { 'Authorization': `Bearer ${token}`, 'Content-Type': 'text/plain' },
      body: JSON.stringify({ project: 'storefront', work_types: ['docs'] }),
    })
    assert.equal(response.status, 415)
    assert.equal(response.headers.get('content-type'), 'application/problem+json; charset=utf-8')
    assert.lengthOf(await Run.all(), 0)
  })

  test('a claim whose JSON body is an array is 400 and claims nothing', async ({ assert }) => {
    const agent = await AgentFactory.create()
    const token = await tokenFor(agent)
    const project = await ProjectFactory.create()
    await WorkItemFactory.merge({ projectId: project.id, status: 'pending' }).create()
    const response = await fetch(`${base()}/api/v1/claims`, {
      method: 'POST',
      headers: { 'Authorization': `Bearer ${token}`, 'Content-Type': 'application/json' },
      body: JSON.stringify([{ project: 'storefront' }]),
    })
    assert.equal(response.status, 400)
    assert.lengthOf(await Run.all(), 0)
  })

  test('a body that is not the gzip its Content-Encoding says is 400; nothing stored', async ({
    assert,
  }) => {
    const { run, token } = await claimedRun()
    const garbage = Buffer.concat([gzipSync('{"lines": []}').subarray(0, 12), Buffer.from('zz')])
    const response = await fetch(`${base()}/api/v1/runs/${run.id}/logs`, {
      method: 'POST',
      headers: {
        'Authorization': `Bearer ${token}`,
        'Content-Type': 'application/json',
        'Content-Encoding': 'gzip',
      },
      body: garbage,
    })
    assert.equal(response.status, 400)
    assert.lengthOf(await RunLog.query().where('runId', run.id), 0)
  })

  test('a work item payload whose JSON text escapes a NUL is refused, not stored', async ({
    client,
    assert,
  }) => {
    const admin = await userWithRole('admin')
    const project = await ProjectFactory.create()
    const before = await databaseSnapshot()
    const response = await asUser(client, admin, 'post', '/work-items', {
      project_id: project.id,
      title: 'escaped NUL',
      work_type: 'code',
      payload: '{"note": "a\\u0000b"}',
    })
    assert.isBelow(response.status(), 500)
    assert.deepEqual(await databaseSnapshot(), before)
  })

  test('a work item title with NUL is 422 on that field; nothing stored', async ({
    client,
    assert,
  }) => {
    const admin = await userWithRole('admin')
    const project = await ProjectFactory.create()
    const before = await databaseSnapshot()
    const response = await asUser(client, admin, 'post', '/work-items', {
      project_id: project.id,
      title: 'bad\u0000title',
      work_type: 'code',
    })
    response.assertStatus(422)
    assert.include(response.text(), 'title')
    assert.deepEqual(await databaseSnapshot(), before)
  })

  test('a block reason with NUL is 422 on that field; the item is not blocked', async ({
    client,
    assert,
  }) => {
    const admin = await userWithRole('admin')
    const project = await ProjectFactory.create()
    const item = await WorkItemFactory.merge({ projectId: project.id, status: 'pending' }).create()
    const response = await asUser(client, admin, 'post', `/work-items/${item.id}/block`, {
      reason: 'because\u0000',
    })
    response.assertStatus(422)
    assert.include(response.text(), 'reason')
    await item.refresh()
    assert.equal(item.status, 'pending')
  })

  test('an agent name with NUL is 422 on that field; no agent created', async ({
    client,
    assert,
  }) => {
    const admin = await userWithRole('admin')
    const before = await databaseSnapshot()
    const response = await asUser(client, admin, 'post', '/agents', {
      key: 'nul-agent',
      name: 'Nul\u0000Agent',
      max_concurrency: 1,
    })
    response.assertStatus(422)
    assert.include(response.text(), 'name')
    assert.deepEqual(await databaseSnapshot(), before)
  })

  test('an audit filter ?action=%00 is 422 on that field', async ({ client, assert }) => {
    const admin = await userWithRole('admin')
    const response = await asUser(client, admin, 'get', '/audit?action=%00')
    response.assertStatus(422)
    assert.include(response.text(), 'action')
  })

  test('a signed webhook with NUL in the issue title is stored with it replaced', async ({
    assert,
  }) => {
    await githubProject()
    const payload = webhookExample('issues', 'opened')
    payload.issue.title = 'Broken\u0000title'
    const response = await deliver('issues', payload)
    assert.equal(response.status, 202)
    const stored = await WebhookDelivery.findByOrFail('deliveryId', response.deliveryId)
    assert.equal((stored.payload as any).issue.title, 'Broken\uFFFDtitle')
  })

  test('a signed webhook with a lone surrogate is stored with it replaced', async ({ assert }) => {
    await githubProject()
    const payload = webhookExample('issues', 'opened')
    payload.issue.body = `emoji cut in half: ${LONE_SURROGATE}`
    payload[`key${LONE_SURROGATE}`] = 'in a key too'
    const response = await deliver('issues', payload)
    assert.equal(response.status, 202)
    const stored = await WebhookDelivery.findByOrFail('deliveryId', response.deliveryId)
    assert.equal((stored.payload as any).issue.body, 'emoji cut in half: \uFFFD')
    assert.equal((stored.payload as any)['key\uFFFD'], 'in a key too')
  })

  test('a login with a 254-character email is an ordinary refusal (the rate-limit key fits)', async ({
    client,
    assert,
  }) => {
    const email = `${'a'.repeat(242)}@example.com`
    assert.lengthOf(email, 254)
    const response = await asUser(client, null, 'post', '/login', { email, password: 'nope' })
    response.assertStatus(302)
    const event = await AuditEvent.findByOrFail('action', 'user.login_failed')
    assert.notProperty(event.details, 'email', 'no user has it: only its hash is kept')
    assert.match((event.details as any).email_sha256, /^[0-9a-f]{64}$/)
  })

  test('a forged X-Forwarded-For is not the address: audits keep the peer’s', async ({
    client,
    assert,
  }) => {
    const response = await asUser(client, null, 'post', '/login', {
      email: 'nobody@example.com',
      password: 'nope',
    }).header('x-forwarded-for', `${'9'.repeat(100)}, 10.0.0.1`)
    response.assertStatus(302)
    const event = await AuditEvent.findByOrFail('action', 'user.login_failed')
    assert.equal(event.ipAddress, '127.0.0.1')
  })

  test('a login email with NUL is 422 on that field; nothing is audited', async ({
    client,
    assert,
  }) => {
    const response = await asUser(client, null, 'post', '/login', {
      email: 'admin\u0000@gatehouse.local',
      password: 'nope',
    })
    response.assertStatus(422)
    assert.include(response.text(), 'email')
    const [audited] = await db.from('audit_events').count('* as n')
    assert.equal(Number(audited.n), 0)
  })
})
