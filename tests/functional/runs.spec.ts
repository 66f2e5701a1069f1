import { test } from '@japa/runner'
import { DateTime } from 'luxon'
import db from '@adonisjs/lucid/services/db'
import type Run from '#models/run'
import AuditEvent from '#models/audit_event'
import { AgentFactory } from '#database/factories/agent_factory'
import { claimedRun } from '#tests/support/claimed_run'
import {
  asUser,
  assertRoleGate,
  fieldErrors,
  htmlOf,
  userWithRole,
} from '#tests/support/admin_pages'
import { emptyWorld } from '#tests/support/test_database'

/** Reviews schedule follow-up jobs (gate deadlines, retry announcements): none may come due in another file's worker. */
async function forgetQueuedJobs() {
  await db.rawQuery('delete from graphile_worker._private_jobs where locked_at is null')
}

/** A run the agent reported as succeeded, waiting for a reviewer (gates: human_review). */
async function runAwaitingReview() {
  const world = await claimedRun({ gates: { human_review: true } })
  const response = await fetch(
    `http://${process.env.HOST}:${process.env.PORT}/api/v1/runs/${world.run.id}/complete`,
    {
      method: 'POST',
      headers: { 'authorization': `Bearer ${world.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        outcome: 'succeeded',
        pr_url: 'https://github.com/acme/app/pull/7',
        pr_number: 7,
      }),
    }
  )
  if (response.status !== 200) throw new Error(`complete answered ${response.status}`)
  await world.run.refresh()
  return world
}

test.group('Run pages: who may do what', (group) => {
  group.each.setup(() => emptyWorld())
  group.teardown(forgetQueuedJobs)

  test('every role reads the list, a run, its log pages and its live log', async ({
    client,
    assert,
  }) => {
    const { run } = await claimedRun()
    await run.appendLogs([{ level: 'info', message: 'hello' }])
    await run.merge({ status: 'succeeded', finishedAt: run.startedAt }).save()
    for (const url of [
      '/runs',
      `/runs/${run.id}`,
      `/runs/${run.id}/logs`,
      `/runs/${run.id}/logs/stream`,
    ]) {
      await assertRoleGate(client, assert, { method: 'get', url, minimumRole: 'viewer' })
    }
  })

  test('maintainers cancel runs; reviewers review them', async ({ client, assert }) => {
    await assertRoleGate(client, assert, {
      method: 'post',
      url: async () => {
        const { run } = await claimedRun()
        return `/runs/${run.id}/cancellation`
      },
      minimumRole: 'maintainer',
    })
    await assertRoleGate(client, assert, {
      method: 'post',
      url: async () => {
        const { run } = await runAwaitingReview()
        return `/runs/${run.id}/review`
      },
      form: () => ({ decision: 'approved' }),
      minimumRole: 'reviewer',
    })
  })

  test('each role sees only the buttons it may press', async ({ client, assert }) => {
    const { run: running } = await claimedRun()
    const { run: reviewable } = await runAwaitingReview()
    const page = async (role: 'viewer' | 'reviewer' | 'maintainer', run: Run) =>
      await htmlOf(client, await userWithRole(role), `/runs/${run.id}`)

    assert.notInclude(await page('viewer', running), 'cancellation')
    assert.notInclude(await page('viewer', reviewable), `action="/runs/${reviewable.id}/review"`)
    assert.notInclude(await page('reviewer', running), 'cancellation')
    assert.include(await page('reviewer', reviewable), `action="/runs/${reviewable.id}/review"`)
    assert.include(await page('maintainer', running), `action="/runs/${running.id}/cancellation"`)
  })
})

test.group('Run pages', (group) => {
  group.each.setup(() => emptyWorld())
  group.teardown(forgetQueuedJobs)

  test('the list filters by project, agent and status', async ({ client, assert }) => {
    const wanted = await claimedRun()
    const otherAgent = await claimedRun({ project: wanted.project })
    const otherProject = await claimedRun({ agent: wanted.agent })
    await otherAgent.run.merge({ status: 'failed' }).save()

    const html = await htmlOf(
      client,
      await userWithRole('viewer'),
      `/runs?project=${wanted.project.id}&agent=${wanted.agent.id}&status=running`
    )
    assert.include(html, `href="/runs/${wanted.run.id}"`)
    assert.notInclude(html, `href="/runs/${otherAgent.run.id}"`)
    assert.notInclude(html, `href="/runs/${otherProject.run.id}"`)
  })

  test('the detail page shows costs, tests, the PR link, gate results and the review form', async ({
    client,
    assert,
  }) => {
    const { run } = await runAwaitingReview()
    await run
      .merge({
        costs: { usd: 1.25, input_tokens: 1000, output_tokens: 200, model: 'm1' },
        costUsd: 1.25,
        tests: { passed: 12, failed: 0, skipped: 1 },
      })
      .save()

    const html = await htmlOf(client, await userWithRole('reviewer'), `/runs/${run.id}`)
    assert.include(html, '$1.2500')
    assert.include(html, '1000 in · 200 out')
    assert.include(html, '12 passed · 0 failed · 1 skipped')
    assert.include(html, 'href="https://github.com/acme/app/pull/7"')
    assert.include(html, '<code>human_review</code>')
    assert.include(html, 'value="approved"')
    assert.include(html, 'value="rejected"')
  })

  test('cancelling a run cancels its item and the agent’s next heartbeat is told to stop', async ({
    client,
    assert,
  }) => {
    const maintainer = await userWithRole('maintainer')
    const { run, item, token } = await claimedRun()

    const response = await asUser(
      client,
      maintainer,
      'post',
      `/runs/${run.id}/cancellation`
    ).header('referer', `/runs/${run.id}`)
    response.assertStatus(302)
    assert.equal(response.header('location'), `/runs/${run.id}`)

    await item.refresh()
    await run.refresh()
    assert.equal(item.status, 'cancelled')
    assert.isNotNull(run.cancelRequestedAt)
    const heartbeat = await client
      .post(`/api/v1/runs/${run.id}/heartbeat`)
      .bearerToken(token)
      .json({})
    heartbeat.assertStatus(200)
    heartbeat.assertBodyContains({ cancel_requested: true })
    const event = await AuditEvent.findByOrFail('action', 'work_item.cancelled')
    assert.deepEqual(
      [event.actorId, event.ipAddress, event.details.stopping_run_id],
      [maintainer.id, '127.0.0.1', run.id]
    )
  })

  test('cancelling from the page of a run that has ended (its item retrying) is refused and leaves the item alone', async ({
    client,
    assert,
  }) => {
    const maintainer = await userWithRole('maintainer')
    const { run, item } = await claimedRun()
    await run.merge({ status: 'failed', finishedAt: DateTime.now() }).save()
    await item.merge({ status: 'pending', lockedByAgentId: null, lockedAt: null }).save()

    const response = await asUser(
      client,
      maintainer,
      'post',
      `/runs/${run.id}/cancellation`
    ).header('referer', `/runs/${run.id}`)
    response.assertStatus(302)
    assert.equal(response.header('location'), `/runs/${run.id}`)
    assert.include(response.flashMessage('error'), 'no longer running')

    await item.refresh()
    assert.equal(item.status, 'pending')
    assert.isNull(await AuditEvent.findBy('action', 'work_item.cancelled'))
  })

  test('a reviewer approves the human_review gate and the item completes', async ({
    client,
    assert,
  }) => {
    const reviewer = await userWithRole('reviewer')
    const { run, item } = await runAwaitingReview()

    await asUser(client, reviewer, 'post', `/runs/${run.id}/review`, {
      decision: 'approved',
      note: 'looks right',
    })

    await run.refresh()
    await item.refresh()
    assert.equal(run.reviewStatus, 'approved')
    assert.equal(run.gateStatus, 'passed')
    assert.equal(item.status, 'completed')
    const event = await AuditEvent.findByOrFail('action', 'run.reviewed')
    assert.deepEqual(
      [event.actorId, event.ipAddress, event.details.note],
      [reviewer.id, '127.0.0.1', 'looks right']
    )
  })

  test('a review without a valid decision is refused and changes nothing; a second review is explained', async ({
    client,
    assert,
  }) => {
    const reviewer = await userWithRole('reviewer')
    const { run } = await runAwaitingReview()

    const refused = await asUser(client, reviewer, 'post', `/runs/${run.id}/review`, {
      decision: 'maybe',
    })
    assert.property(fieldErrors(refused), 'decision')
    await run.refresh()
    assert.isNull(run.reviewStatus)

    await asUser(client, reviewer, 'post', `/runs/${run.id}/review`, { decision: 'rejected' })
    const again = await asUser(client, reviewer, 'post', `/runs/${run.id}/review`, {
      decision: 'approved',
    })
    assert.match(String(again.flashMessage('error')), /not waiting for its gates/)
    await run.refresh()
    assert.equal(run.reviewStatus, 'rejected')
  })

  test('a finished run’s log is paged by seq; its stream sends every line then ends', async ({
    client,
    assert,
  }) => {
    const { run } = await claimedRun({ agent: await AgentFactory.create() })
    for (let batch = 0; batch < 3; batch++) {
      await run.appendLogs(
        Array.from({ length: 250 }, (_, i) => ({
          level: 'info' as const,
          message: `line ${batch * 250 + i + 1}`,
        }))
      )
    }
    await run.merge({ status: 'succeeded', finishedAt: run.startedAt }).save()
    const viewer = await userWithRole('viewer')

    const first = await htmlOf(client, viewer, `/runs/${run.id}/logs`)
    assert.include(first, '>line 500<')
    assert.notInclude(first, '>line 501<')
    assert.include(first, `href="/runs/${run.id}/logs?after=500"`)
    const second = await htmlOf(client, viewer, `/runs/${run.id}/logs?after=500`)
    assert.include(second, '>line 501<')
    assert.include(second, '>line 750<')
    assert.include(second, `href="/runs/${run.id}/logs?before=501"`)

    const stream = await asUser(client, viewer, 'get', `/runs/${run.id}/logs/stream?after=740`)
    stream.assertStatus(200)
    assert.include(stream.header('content-type'), 'text/event-stream')
    const events = stream.text().trim().split('\n\n')
    assert.lengthOf(events, 11)
    assert.equal(
      events[0],
      `id: 741\nevent: line\ndata: ${JSON.stringify({ seq: 741, level: 'info', stream: null, message: 'line 741', logged_at: JSON.parse(events[0].split('data: ')[1]).logged_at })}`
    )
    assert.equal(events[10], `event: end\ndata: {"status":"succeeded","last_seq":750}`)
  })
})
