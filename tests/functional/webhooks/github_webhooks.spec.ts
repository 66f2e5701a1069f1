import { test } from '@japa/runner'
import db from '@adonisjs/lucid/services/db'
import WebhookDelivery from '#models/webhook_delivery'
import WorkItem from '#models/work_item'
import AuditEvent from '#models/audit_event'
import type Project from '#models/project'
import WebhookProcessor from '#services/github/webhook_processor'
import processGitHubWebhook from '#jobs/process_github_webhook'
import { claimedRun } from '#tests/support/claimed_run'
import { webhookExample } from '#tests/support/fake_github/recorded_shapes'
import {
  addIntegration,
  clearJobs,
  deliver,
  githubProject,
  jobsOf,
  signatureOf,
  EXAMPLE_REPO,
} from '#tests/support/github_world'
import { emptyWorld } from '#tests/support/test_database'

/** Processes the deliveries the endpoint enqueued, as the worker would (the task function itself). */
async function processQueued() {
  for (const job of await jobsOf('process_github_webhook')) await processGitHubWebhook(job.payload)
  await db.rawQuery(`delete from graphile_worker._private_jobs where task_id in
    (select id from graphile_worker._private_tasks where identifier = 'process_github_webhook')`)
}

/** A run waiting for its gates on the examples' commit and pull request. */
async function pendingRunOn(project: Project, headSha: string, prNumber: number) {
  const { run, item } = await claimedRun({ project })
  await item.merge({ status: 'verifying' }).save()
  await run.merge({ status: 'succeeded', gateStatus: 'pending', headSha, prNumber }).save()
  return run
}

async function nothingStored(assert: any) {
  assert.lengthOf(await WebhookDelivery.all(), 0)
  assert.lengthOf(await jobsOf('process_github_webhook'), 0)
}

test.group('POST /webhooks/github', (group) => {
  // Leave nothing behind for suites that clean up only after their tests.
  group.teardown(() => emptyWorld())
  group.each.setup(async () => {
    await emptyWorld()
    await clearJobs()
    // Jobs left behind would run in the next test file's worker, against the real GitHub.
    return () => clearJobs()
  })

  test('ping: accepted with 202, stored, then processed with an audit event', async ({
    assert,
  }) => {
    const project = await githubProject({ repoFullName: 'Octocoders/Hello-World' })
    const payload = webhookExample('ping')

    const response = await deliver('ping', payload)

    assert.equal(response.status, 202)
    const delivery = await WebhookDelivery.findByOrFail('deliveryId', response.deliveryId)
    assert.include(delivery.serialize(), {
      event: 'ping',
      status: 'received',
      projectId: project.id,
    })
    assert.deepEqual(delivery.payload, payload)
    assert.lengthOf(
      await jobsOf('process_github_webhook'),
      1,
      'processing enqueued with the delivery'
    )

    await processQueued()
    await delivery.refresh()
    assert.equal(delivery.status, 'processed')
    assert.isNotNull(delivery.processedAt)
    assert.isNull(delivery.payload, 'the payload is not kept once applied')
    const pinged = await AuditEvent.findByOrFail('action', 'github.webhook_pinged')
    assert.equal(pinged.projectId, project.id)
  })

  test('issues opened with the intake label creates the item; closed cancels it; reopened brings it back', async ({
    assert,
  }) => {
    const project = await githubProject()
    const opened = webhookExample('issues', 'opened')
    opened.issue.labels.push(
      { ...opened.issue.labels[0], name: 'agent-ready' },
      { ...opened.issue.labels[0], name: 'P1' }
    )

    const response = await deliver('issues', opened)
    assert.equal(response.status, 202)
    await processQueued()

    const item = await WorkItem.findByOrFail('externalRef', `github:issue:${opened.issue.number}`)
    assert.include(item.serialize(), {
      projectId: project.id,
      title: opened.issue.title,
      priority: 50,
      status: 'pending',
      externalUrl: opened.issue.html_url,
    })

    const closed = {
      ...opened,
      action: 'closed',
      issue: { ...opened.issue, state: 'closed', updated_at: '2030-01-01T00:00:01Z' },
    }
    await deliver('issues', closed)
    await processQueued()
    await item.refresh()
    assert.equal(item.status, 'cancelled')

    const reopened = {
      ...opened,
      action: 'reopened',
      issue: { ...opened.issue, updated_at: '2030-01-01T00:00:02Z' },
    }
    await deliver('issues', reopened)
    await processQueued()
    await item.refresh()
    assert.equal(item.status, 'pending')
    const webhookDeliveries = await WebhookDelivery.query().orderBy('id')
    assert.deepEqual(
      webhookDeliveries.map((delivery) => delivery.status),
      ['processed', 'processed', 'processed']
    )
  })

  test('a replayed reopened whose issue is older than the last change applied changes nothing', async ({
    assert,
  }) => {
    await githubProject()
    const opened = webhookExample('issues', 'opened')
    opened.issue.labels.push({ ...opened.issue.labels[0], name: 'agent-ready' })
    opened.issue.updated_at = '2030-01-01T00:00:00Z'
    await deliver('issues', opened)
    const captured = {
      ...opened,
      action: 'reopened',
      issue: { ...opened.issue, updated_at: '2030-01-01T00:00:05Z' },
    }
    await deliver('issues', captured)
    const closed = {
      ...opened,
      action: 'closed',
      issue: { ...opened.issue, state: 'closed', updated_at: '2030-01-01T00:00:09Z' },
    }
    await deliver('issues', closed)
    await processQueued()
    const item = await WorkItem.findByOrFail('externalRef', `github:issue:${opened.issue.number}`)
    assert.equal(item.status, 'cancelled')

    // The captured delivery, sent again under a new delivery id: its issue is older.
    const replay = await deliver('issues', captured)
    assert.equal(replay.status, 202)
    await processQueued()
    await item.refresh()
    assert.equal(item.status, 'cancelled', 'the replay did not revive the item')

    // The same for a replay of the very reopening that was applied last.
    const reopenedAgain = {
      ...captured,
      issue: { ...captured.issue, updated_at: '2030-01-01T00:00:10Z' },
    }
    await deliver('issues', reopenedAgain)
    await processQueued()
    await item.refresh()
    assert.equal(item.status, 'pending', 'a newer reopening is applied')
    await item.merge({ status: 'cancelled' }).save()
    await deliver('issues', reopenedAgain)
    await processQueued()
    await item.refresh()
    assert.equal(item.status, 'cancelled', 'replaying the last reopening changes nothing')
  })

  test('issues without the intake label, and unhandled actions, are ignored', async ({
    assert,
  }) => {
    await githubProject()
    await deliver('issues', webhookExample('issues', 'opened'))
    await deliver('issues', webhookExample('issues', 'assigned'))
    await processQueued()

    assert.lengthOf(await WorkItem.all(), 0)
    const webhookDeliveries = await WebhookDelivery.query().orderBy('id')
    assert.deepEqual(
      webhookDeliveries.map((delivery) => delivery.status),
      ['ignored', 'ignored']
    )
  })

  test('check_run, check_suite and status re-evaluate the runs on their commit; the default branch is refreshed', async ({
    assert,
  }) => {
    const checkRun = webhookExample('check_run', 'completed')
    const project = await githubProject()
    await project.merge({ repoDefaultBranch: checkRun.check_run.check_suite.head_branch }).save()
    const run = await pendingRunOn(project, checkRun.check_run.head_sha, 99)

    for (const [event, payload] of [
      ['check_run', checkRun],
      ['check_suite', webhookExample('check_suite', 'completed')],
      ['status', webhookExample('status')],
    ] as const) {
      const response = await deliver(event, payload)
      assert.equal(response.status, 202)
    }
    await processQueued()

    const webhookDeliveries = await WebhookDelivery.query().orderBy('id')
    const statuses = webhookDeliveries.map((delivery) => [delivery.event, delivery.status])
    assert.deepEqual(statuses, [
      ['check_run', 'processed'],
      ['check_suite', 'processed'],
      ['status', 'processed'], // another commit, but on the default branch too
    ])
    const evaluations = await jobsOf('evaluate_gates')
    assert.deepEqual(
      evaluations.map((job) => job.key),
      [`evaluate_gates:${run.id}`]
    )
    assert.isAtMost(evaluations[0].run_at.getTime(), Date.now(), 'due now')
    const jobs = await jobsOf('refresh_default_branch')
    assert.deepEqual(
      jobs.map((job) => job.key),
      [`refresh_default_branch:${project.id}`]
    )
  })

  test('a status on the default branch refreshes its state', async ({ assert }) => {
    const status = webhookExample('status')
    const project = await githubProject()
    await project.merge({ repoDefaultBranch: status.branches[0].name }).save()

    await deliver('status', status)
    await processQueued()

    const webhookDelivery = await WebhookDelivery.firstOrFail()
    assert.equal(webhookDelivery.status, 'processed')
    assert.lengthOf(await jobsOf('refresh_default_branch'), 1)
  })

  test('pull_request and pull_request_review re-evaluate the runs of that pull request', async ({
    assert,
  }) => {
    const review = webhookExample('pull_request_review', 'submitted')
    const project = await githubProject()
    const run = await pendingRunOn(project, 'f'.repeat(40), review.pull_request.number)

    await deliver('pull_request', webhookExample('pull_request', 'synchronize'))
    await deliver('pull_request_review', review)
    await processQueued()

    const webhookDeliveries = await WebhookDelivery.query().orderBy('id')
    assert.deepEqual(
      webhookDeliveries.map((delivery) => delivery.status),
      ['processed', 'processed']
    )
    const jobs = await jobsOf('evaluate_gates')
    assert.deepEqual(
      jobs.map((job) => job.key),
      [`evaluate_gates:${run.id}`]
    )
  })

  test('an event Gatehouse does not handle is stored and ignored', async ({ assert }) => {
    await githubProject()
    const response = await deliver('issue_comment', webhookExample('issue_comment'))
    assert.equal(response.status, 202)
    await processQueued()
    const webhookDelivery = await WebhookDelivery.firstOrFail()
    assert.equal(webhookDelivery.status, 'ignored')
  })

  test('a wrong signature, a wrong secret or a missing signature is 401 and stores nothing', async ({
    assert,
  }) => {
    await githubProject()
    const payload = webhookExample('issues', 'opened')
    const body = JSON.stringify(payload)

    const tampered = await deliver('issues', payload, {
      body: body.replace('"opened"', '"closed"'),
      signature: await signatureOf(body),
    })
    const wrongSecret = await deliver('issues', payload, {
      signature: await signatureOf(body, 'not-the-secret'),
    })
    const missing = await deliver('issues', payload, { signature: null })
    const garbage = await deliver('issues', payload, { signature: 'sha256=zz' })

    for (const response of [tampered, wrongSecret, missing, garbage]) {
      assert.equal(response.status, 401)
      assert.equal(response.contentType, 'application/problem+json; charset=utf-8')
      assert.equal(response.body.status, 401)
    }
    await nothingStored(assert)
  })

  test('a project without a webhook secret cannot accept deliveries (401)', async ({ assert }) => {
    const project = await githubProject()
    await project.merge({ webhookSecretName: 'NOT_CONFIGURED_ANYWHERE' }).save()
    const response = await deliver('ping', webhookExample('ping', undefined, 0), {})
    assert.equal(response.status, 401, 'ping example is another repository')
    const refused = await deliver('issues', webhookExample('issues', 'opened'))
    assert.equal(refused.status, 401)
    await nothingStored(assert)
  })

  test('the secret may come from an environment variable or a github integration of that name', async ({
    assert,
  }) => {
    const project = await githubProject()
    await project.merge({ webhookSecretName: 'HOOK_FROM_ENV' }).save()
    process.env.HOOK_FROM_ENV = 'env-secret'
    try {
      const body = JSON.stringify(webhookExample('issues', 'opened'))
      const response = await deliver('issues', null, {
        body,
        signature: await signatureOf(body, 'env-secret'),
      })
      assert.equal(response.status, 202)
    } finally {
      delete process.env.HOOK_FROM_ENV
    }
    await addIntegration(project, 'github', 'HOOK_FROM_ENV', 'integration-secret')
    const body = JSON.stringify(webhookExample('issues', 'edited'))
    const fromIntegration = await deliver('issues', null, {
      body,
      signature: await signatureOf(body, 'integration-secret'),
    })
    assert.equal(fromIntegration.status, 202)
  })

  test('an unknown repository gets the same 401 as a bad signature and a malformed body is 400, storing nothing', async ({
    assert,
  }) => {
    await githubProject()
    const elsewhere = webhookExample('issues', 'opened')
    elsewhere.repository.full_name = 'someone/else'

    const unknown = await deliver('issues', elsewhere)
    const malformed = await deliver('issues', null, {
      body: '{"repository": {"full_name": "Codertocat/Hello-World"',
      signature: null,
    })
    const notAnObject = await deliver('issues', [1, 2])
    const noEvent = await deliver('', webhookExample('issues', 'opened'))

    const badSignature = await deliver('issues', webhookExample('issues', 'opened'), {
      signature: 'sha256=' + '0'.repeat(64),
    })
    assert.equal(unknown.status, 401)
    assert.deepEqual(
      unknown.body,
      badSignature.body,
      'the same answer: repositories cannot be enumerated'
    )
    assert.equal(malformed.status, 400)
    assert.equal(malformed.contentType, 'application/problem+json; charset=utf-8')
    assert.equal(notAnObject.status, 400)
    assert.equal(noEvent.status, 400)
    await nothingStored(assert)
  })

  test('a form-encoded delivery (payload field) is verified over the raw form body', async ({
    assert,
  }) => {
    await githubProject()
    const ping = webhookExample('ping', undefined, 0)
    ping.repository.full_name = EXAMPLE_REPO
    const body = `payload=${encodeURIComponent(JSON.stringify(ping))}`
    const response = await deliver('ping', null, {
      body,
      contentType: 'application/x-www-form-urlencoded',
    })
    assert.equal(response.status, 202)
  })

  test('the same delivery twice is acknowledged twice and processed once', async ({ assert }) => {
    await githubProject()
    const opened = webhookExample('issues', 'opened')
    opened.issue.labels.push({ ...opened.issue.labels[0], name: 'agent-ready' })

    const first = await deliver('issues', opened, { deliveryId: 'delivery-1' })
    const again = await deliver('issues', opened, { deliveryId: 'delivery-1' })

    assert.equal(first.status, 202)
    assert.equal(again.status, 200)
    assert.isTrue(again.body.duplicate)
    assert.lengthOf(await WebhookDelivery.all(), 1)
    assert.lengthOf(await jobsOf('process_github_webhook'), 1)

    const [job] = await jobsOf('process_github_webhook')
    await processGitHubWebhook(job.payload)
    await processGitHubWebhook(job.payload) // a retried job
    assert.lengthOf(await WorkItem.all(), 1)
    assert.lengthOf(await AuditEvent.query().where('action', 'work_item.created'), 1)
  })

  test('the same delivery arriving concurrently is stored and enqueued once', async ({
    assert,
  }) => {
    await githubProject()
    const payload = webhookExample('ping', undefined, 0)
    payload.repository.full_name = EXAMPLE_REPO

    const responses = await Promise.all(
      Array.from({ length: 12 }, () => deliver('ping', payload, { deliveryId: 'same-delivery' }))
    )

    assert.deepEqual(
      responses.map((response) => response.status).sort(),
      [200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 202]
    )
    assert.lengthOf(await WebhookDelivery.all(), 1)
    assert.lengthOf(await jobsOf('process_github_webhook'), 1)
  })

  test('a delivery whose processing fails is marked failed with its error, and retried', async ({
    assert,
  }) => {
    const project = await githubProject()
    const opened = webhookExample('issues', 'opened')
    opened.issue.labels.push({ ...opened.issue.labels[0], name: 'agent-ready' })
    opened.issue.title = 'x'.repeat(10)
    await deliver('issues', opened)
    const delivery = await WebhookDelivery.firstOrFail()
    // The item table refuses the insert: a broken invariant, as a failing processing would meet.
    await db.rawQuery(
      `alter table work_items add constraint test_no_items check (project_id <> ${project.id}) not valid`
    )
    try {
      await assert.rejects(() => WebhookProcessor.process(delivery.id))
    } finally {
      await db.rawQuery('alter table work_items drop constraint test_no_items')
    }
    await delivery.refresh()
    assert.equal(delivery.status, 'failed')
    assert.include(delivery.error!, 'test_no_items')

    assert.equal(await WebhookProcessor.process(delivery.id), 'processed')
    assert.lengthOf(await WorkItem.all(), 1)
  })
  test('a delivery still failing on its last attempt ends the job with an audit event instead of throwing', async ({
    assert,
  }) => {
    const project = await githubProject()
    const opened = webhookExample('issues', 'opened')
    opened.issue.labels.push({ ...opened.issue.labels[0], name: 'agent-ready' })
    await deliver('issues', opened)
    const delivery = await WebhookDelivery.firstOrFail()
    await db.rawQuery(
      `alter table work_items add constraint test_no_items check (project_id <> ${project.id}) not valid`
    )
    try {
      await assert.rejects(() => WebhookProcessor.process(delivery.id, { number: 4, max: 5 }))
      assert.lengthOf(
        await AuditEvent.query().where('action', 'github.webhook_failed'),
        0,
        'no audit event while retries remain'
      )
      assert.equal(await WebhookProcessor.process(delivery.id, { number: 5, max: 5 }), 'failed')
    } finally {
      await db.rawQuery('alter table work_items drop constraint test_no_items')
    }
    await delivery.refresh()
    assert.equal(delivery.status, 'failed')
    assert.isNotNull(delivery.payload, 'kept for a manual retry')
    const [event] = await AuditEvent.query().where('action', 'github.webhook_failed')
    assert.equal(event.projectId, project.id)
    assert.include(event.details as Record<string, unknown>, {
      delivery: delivery.deliveryId,
      event: 'issues',
      attempts: 5,
    })
    assert.include(String((event.details as any).error), 'test_no_items')
  })
  test('a redelivery of a delivery that failed for good is processed again; of a processed one, not', async ({
    assert,
  }) => {
    const project = await githubProject()
    const opened = webhookExample('issues', 'opened')
    opened.issue.labels.push({ ...opened.issue.labels[0], name: 'agent-ready' })
    await deliver('issues', opened, { deliveryId: 'failed-once' })
    const delivery = await WebhookDelivery.firstOrFail()
    await db.rawQuery(
      `alter table work_items add constraint test_no_items check (project_id <> ${project.id}) not valid`
    )
    try {
      assert.equal(await WebhookProcessor.process(delivery.id, { number: 5, max: 5 }), 'failed')
    } finally {
      await db.rawQuery('alter table work_items drop constraint test_no_items')
    }
    await clearJobs()

    const redelivered = await deliver('issues', opened, { deliveryId: 'failed-once' })

    assert.equal(redelivered.status, 202)
    assert.isFalse(redelivered.body.duplicate)
    await delivery.refresh()
    assert.equal(delivery.status, 'received')
    assert.isNull(delivery.error)
    await processQueued()
    await delivery.refresh()
    assert.equal(delivery.status, 'processed')
    assert.lengthOf(await WorkItem.all(), 1)

    const again = await deliver('issues', opened, { deliveryId: 'failed-once' })
    assert.equal(again.status, 200)
    assert.lengthOf(await jobsOf('process_github_webhook'), 0)
    assert.lengthOf(await WebhookDelivery.all(), 1)
  })
  test('one delivery processed by many jobs at once takes effect once', async ({ assert }) => {
    await githubProject()
    const ping = webhookExample('ping', undefined, 0)
    ping.repository.full_name = EXAMPLE_REPO
    await deliver('ping', ping)
    const delivery = await WebhookDelivery.firstOrFail()

    const statuses = await Promise.all(
      Array.from({ length: 8 }, () => WebhookProcessor.process(delivery.id))
    )

    assert.deepEqual(statuses, Array(8).fill('processed'))
    assert.lengthOf(await AuditEvent.query().where('action', 'github.webhook_pinged'), 1)
  })
})
