import { test } from '@japa/runner'
import type { ApiClient } from '@japa/api-client'
import testUtils from '@adonisjs/core/services/test_utils'
import env from '#start/env'
import { claimedRun } from '#tests/support/claimed_run'
import { AgentFactory } from '#database/factories/agent_factory'
import { ProjectFactory } from '#database/factories/project_factory'
import { WorkItemFactory } from '#database/factories/work_item_factory'
import { tokenFor } from '#tests/support/claimed_run'

const SERIES = [
  'gatehouse_claimable_items',
  'gatehouse_work_items',
  'gatehouse_oldest_claimable_age_seconds',
  'gatehouse_claims_total',
  'gatehouse_claim_duration_seconds',
  'gatehouse_run_duration_seconds',
  'gatehouse_lease_expiries_total',
  'gatehouse_gate_verdicts_total',
  'gatehouse_webhook_deliveries_total',
  'gatehouse_job_queue_depth',
  'gatehouse_job_failures',
  'gatehouse_http_request_duration_seconds',
]

/** The value of one sample line (`name{labels} value`), 0 when absent. */
function sample(body: string, name: string, labels: string) {
  const line = body.split('\n').find((candidate) => candidate.startsWith(`${name}{${labels}}`))
  return line ? Number(line.split(' ').at(-1)) : 0
}

async function scrapeWith(client: ApiClient) {
  const response = await client.get('/metrics').bearerToken('metrics-secret')
  return response.text()
}

test.group('GET /metrics', (group) => {
  group.each.setup(() => testUtils.db().truncate())
  group.each.setup(() => {
    env.set('METRICS_TOKEN', 'metrics-secret')
    return () => env.set('METRICS_TOKEN', '')
  })

  test('refuses a missing or wrong token', async ({ client }) => {
    const missing = await client.get('/metrics')
    missing.assertStatus(401)
    const wrong = await client.get('/metrics').bearerToken('wrong')
    wrong.assertStatus(401)
  })

  test('answers every series in the Prometheus text format', async ({ client, assert }) => {
    const response = await client.get('/metrics').bearerToken('metrics-secret')
    response.assertStatus(200)
    assert.match(response.header('content-type') ?? '', /^text\/plain; version=0\.0\.4/)
    for (const name of SERIES) {
      assert.include(response.text(), `# TYPE ${name} `, name)
    }
  })

  test('series move when items are claimed and runs finish', async ({ client, assert }) => {
    const project = await ProjectFactory.merge({ slug: 'metered' }).create()
    await WorkItemFactory.merge({ projectId: project.id, status: 'pending' }).createMany(2)
    const agent = await AgentFactory.create()
    const token = await tokenFor(agent)
    const scrape = () => scrapeWith(client)

    const before = await scrape()
    assert.equal(sample(before, 'gatehouse_claimable_items', 'project="metered"'), 2)
    assert.equal(sample(before, 'gatehouse_work_items', 'status="pending"'), 2)
    const claimedBefore = sample(before, 'gatehouse_claims_total', 'outcome="claimed"')

    const claim = await client.post('/api/v1/claims').bearerToken(token).json({})
    claim.assertStatus(201)
    const runId = claim.body().run.id

    const afterClaim = await scrape()
    assert.equal(sample(afterClaim, 'gatehouse_claimable_items', 'project="metered"'), 1)
    assert.equal(sample(afterClaim, 'gatehouse_work_items', 'status="in_progress"'), 1)
    assert.equal(
      sample(afterClaim, 'gatehouse_claims_total', 'outcome="claimed"'),
      claimedBefore + 1
    )

    const runsBefore = sample(
      afterClaim,
      'gatehouse_run_duration_seconds_count',
      'outcome="accepted"'
    )
    const completion = await client
      .post(`/api/v1/runs/${runId}/complete`)
      .bearerToken(token)
      .json({ outcome: 'succeeded' })
    completion.assertStatus(200)
    const afterRun = await scrape()
    assert.equal(
      sample(afterRun, 'gatehouse_run_duration_seconds_count', 'outcome="accepted"'),
      runsBefore + 1
    )
    assert.equal(sample(afterRun, 'gatehouse_work_items', 'status="completed"'), 1)
    assert.isAbove(
      sample(
        afterRun,
        'gatehouse_http_request_duration_seconds_count',
        'route="/api/v1/claims",method="POST",status="2xx"'
      ),
      0
    )
  })

  test('a reaped lease counts as a lease expiry', async ({ client, assert }) => {
    const { DateTime } = await import('luxon')
    const { default: RunReaper } = await import('#services/runs/run_reaper')
    const scrape = () => scrapeWith(client)
    const before = sample(
      await scrape(),
      'gatehouse_lease_expiries_total',
      'reason="lease_expired"'
    )
    await claimedRun({ leaseExpiresAt: DateTime.now().minus({ seconds: 5 }) })
    await RunReaper.reap()
    assert.equal(
      sample(await scrape(), 'gatehouse_lease_expiries_total', 'reason="lease_expired"'),
      before + 1
    )
  })
})
