import { test } from '@japa/runner'
import env from '#start/env'
import type { JobHelpers } from 'graphile-worker'
import { verify } from '@octokit/webhooks-methods'
import { appUrl } from '#config/app'
import AuditEvent from '#models/audit_event'
import Integration from '#models/integration'
import NotificationDelivery from '#models/notification_delivery'
import NotificationDeliveryAttempt from '#models/notification_delivery_attempt'
import type Project from '#models/project'
import Setting from '#models/setting'
import Worker from '#infrastructure/worker'
import deliverNotification from '#jobs/deliver_notification'
import RunLifecycle from '#services/runs/run_lifecycle'
import DefaultBranchStatus from '#services/github/default_branch_status'
import { DELIVERY_MAX_ATTEMPTS } from '#services/notifications/notifier'
import { ProjectFactory } from '#database/factories/project_factory'
import { agentWithToken, claimedRun } from '#tests/support/claimed_run'
import { emptyWorld } from '#tests/support/test_database'
import { AgentFactory } from '#database/factories/agent_factory'
import { WorkItemFactory } from '#database/factories/work_item_factory'
import { asUser, fieldErrors, leaveNothingBehind, userWithRole } from '#tests/support/admin_pages'
import { clearJobs, jobsOf } from '#tests/support/github_world'
import { startReceiver as startLocalReceiver } from '#tests/support/notification_receiver'

const SIGNING_SECRET = 'whsec_notifications_test_0123456789'

type Receiver = Awaited<ReturnType<typeof startLocalReceiver>>

/** Every receiver a test started, closed after it (a listening server keeps the run alive). */
const receivers: Receiver[] = []
async function startReceiver(options: Parameters<typeof startLocalReceiver>[0] = {}) {
  const receiver = await startLocalReceiver(options)
  receivers.push(receiver)
  return receiver
}
async function closeReceivers() {
  await Promise.all(receivers.splice(0).map((receiver) => receiver.close()))
}

async function webhookTo(
  project: Project,
  receiver: Receiver,
  options: { name?: string; events?: Integration['notificationEvents'] } = {}
) {
  return Integration.connect(
    project,
    {
      kind: 'webhook',
      name: options.name ?? 'ops-hook',
      secret: SIGNING_SECRET,
      url: receiver.url,
      events: options.events ?? null,
    },
    await userWithRole('maintainer'),
    null
  )
}

/** Runs every queued delivery job once, as graphile-worker would (attempt 1 of its max). */
async function runQueuedDeliveries() {
  const jobs = await jobsOf('deliver_notification')
  await clearJobs()
  for (const job of jobs) {
    const helpers = { job: { attempts: 1, max_attempts: job.max_attempts } } as JobHelpers
    await deliverNotification(job.payload, helpers).catch(() => {})
  }
  return jobs
}

async function deliveriesOf(event: string) {
  return NotificationDelivery.query().where('event', event).orderBy('id')
}

test.group('Notifications: deliveries', (group) => {
  let receiver: Receiver
  group.each.setup(async () => {
    await emptyWorld()
    await clearJobs()
    receiver = await startReceiver()
    return () => closeReceivers()
  })
  group.teardown(() => leaveNothingBehind())

  test('a webhook delivery is JSON signed with the integration secret (GitHub scheme)', async ({
    assert,
  }) => {
    const { project, run, agent, item } = await claimedRun({ gates: { tests_reported: true } })
    await webhookTo(project, receiver)
    await RunLifecycle.complete(run, agent, {
      outcome: 'succeeded',
      tests: { passed: 3, failed: 1 },
    })

    const [job] = await runQueuedDeliveries()
    assert.equal(job.max_attempts, DELIVERY_MAX_ATTEMPTS)
    const [request] = await receiver.waitFor(1)
    const signature = request.headers['x-gatehouse-signature-256'] as string
    assert.match(signature, /^sha256=[0-9a-f]{64}$/)
    assert.isTrue(await verify(SIGNING_SECRET, request.body, signature), 'verifies with the secret')
    assert.isFalse(await verify('another secret', request.body, signature))
    assert.equal(request.headers['x-gatehouse-event'], 'run.rejected')
    assert.equal(request.headers['content-type'], 'application/json')

    const body = JSON.parse(request.body)
    const [delivery] = await deliveriesOf('run.rejected')
    assert.equal(request.headers['x-gatehouse-delivery'], delivery.deliveryUuid)
    assert.match(
      delivery.deliveryUuid,
      /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/
    )
    assert.equal(body.event, 'run.rejected')
    assert.equal(body.delivery, delivery.deliveryUuid)
    assert.isString(body.occurred_at)
    assert.deepEqual(body.project, {
      slug: project.slug,
      name: project.name,
      url: `${appUrl.replace(/\/+$/, '')}/projects/${project.id}`,
    })
    assert.equal(body.data.run.id, run.id)
    assert.equal(body.data.work_item.id, item.id)
    assert.equal(body.data.reasons[0].gate, 'tests_reported')
    assert.equal(body.data.url, `${appUrl.replace(/\/+$/, '')}/runs/${run.id}`)

    await delivery.refresh()
    assert.equal(delivery.status, 'delivered')
    assert.equal(delivery.attempts, 1)
    assert.equal(delivery.lastStatusCode, 200)
  })

  test('a Slack integration gets a readable message with a link to the page', async ({
    assert,
  }) => {
    const project = await ProjectFactory.merge({ name: 'Acme <web>' }).create()
    await Integration.connect(
      project,
      { kind: 'slack', name: 'team-channel', secret: receiver.url },
      await userWithRole('maintainer'),
      null
    )
    await DefaultBranchStatus.record(project.id, 'failing', [{ name: 'ci', detail: 'red' }])

    await runQueuedDeliveries()
    const [request] = await receiver.waitFor(1)
    const message = JSON.parse(request.body)
    const link = `${appUrl.replace(/\/+$/, '')}/projects/${project.id}`
    assert.equal(
      message.text,
      `[Acme &lt;web&gt;] The default branch ${project.repoDefaultBranch} is failing. <${link}|Open in Gatehouse>`
    )
    assert.equal(message.blocks[0].type, 'section')
    assert.equal(message.blocks[0].text.type, 'mrkdwn')
    assert.include(message.blocks[0].text.text, `<${link}|Open in Gatehouse>`)
    assert.notProperty(request.headers, 'x-gatehouse-signature-256', 'Slack URLs are their secret')
  })

  test("an integration's event filter is respected; inactive integrations get nothing", async ({
    assert,
  }) => {
    const project = await ProjectFactory.create()
    const onlyCompleted = await webhookTo(project, receiver, {
      name: 'completions',
      events: ['item.completed'],
    })
    const everything = await webhookTo(project, receiver, { name: 'everything' })
    const inactive = await webhookTo(project, receiver, { name: 'asleep' })
    await inactive.deactivate(await userWithRole('maintainer'), null)
    await DefaultBranchStatus.record(project.id, 'failing')

    const red = await deliveriesOf('default_branch.red')
    assert.deepEqual(
      red.map((delivery) => delivery.integrationId),
      [everything.id]
    )
    assert.lengthOf(await jobsOf('deliver_notification'), 1)
    assert.isFalse(onlyCompleted.receives('default_branch.red'))
    assert.isTrue(onlyCompleted.receives('item.completed'))
  })

  test('a failed attempt is retried by graphile-worker with backoff until it succeeds, each attempt recorded', async ({
    assert,
  }) => {
    receiver = await startReceiver({ answers: [500] })
    const project = await ProjectFactory.create()
    await webhookTo(project, receiver)
    await DefaultBranchStatus.record(project.id, 'failing')
    const worker = await new Worker().start({ concurrency: 1, crontab: '' })
    try {
      const [first, second] = await receiver.waitFor(2, 20_000)
      // graphile-worker waits exp(1) ≈ 2.7 s after a first failure.
      assert.isAbove(second.at - first.at, 2000)
      assert.equal(first.headers['x-gatehouse-delivery'], second.headers['x-gatehouse-delivery'])
      assert.equal(first.body, second.body, 'the same payload, so the same signature')
    } finally {
      await worker.stop()
    }
    const [delivery] = await deliveriesOf('default_branch.red')
    assert.equal(delivery.status, 'delivered')
    assert.equal(delivery.attempts, 2)
    const attempts = await NotificationDeliveryAttempt.query()
      .where('notificationDeliveryId', delivery.id)
      .orderBy('attempt')
    assert.deepEqual(
      attempts.map((attempt) => [attempt.attempt, attempt.statusCode]),
      [
        [1, 500],
        [2, 200],
      ]
    )
    assert.equal(attempts[0].error, 'HTTP 500: nope')
    assert.isAtLeast(attempts[0].durationMs, 0)
    assert.isNull(attempts[1].error)
  })

  test('the last attempt marks the delivery failed instead of asking for another retry', async ({
    assert,
  }) => {
    receiver = await startReceiver({ answers: [503, 503] })
    const project = await ProjectFactory.create()
    await webhookTo(project, receiver)
    await DefaultBranchStatus.record(project.id, 'failing')
    const [job] = await jobsOf('deliver_notification')

    await assert.rejects(() =>
      deliverNotification(job.payload, {
        job: { attempts: 12, max_attempts: DELIVERY_MAX_ATTEMPTS },
      } as JobHelpers)
    )
    let [delivery] = await deliveriesOf('default_branch.red')
    assert.equal(delivery.status, 'pending', 'retries remain')

    await deliverNotification(job.payload, {
      job: { attempts: DELIVERY_MAX_ATTEMPTS, max_attempts: DELIVERY_MAX_ATTEMPTS },
    } as JobHelpers)
    ;[delivery] = await deliveriesOf('default_branch.red')
    assert.equal(delivery.status, 'failed')
    assert.equal(delivery.attempts, 2)
    assert.equal(delivery.lastStatusCode, 503)
  })

  test('an integration deactivated after the event gets no request; its delivery ends failed', async ({
    assert,
  }) => {
    const project = await ProjectFactory.create()
    const integration = await webhookTo(project, receiver)
    await DefaultBranchStatus.record(project.id, 'failing')
    await integration.deactivate(await userWithRole('maintainer'), null)
    await runQueuedDeliveries()
    const [delivery] = await deliveriesOf('default_branch.red')
    assert.equal(delivery.status, 'failed')
    assert.equal(delivery.lastError, 'the integration is inactive')
    assert.lengthOf(receiver.received, 0)
  })

  test('a maintainer redelivers from the integration page: audited, one more attempt, same delivery id', async ({
    client,
    assert,
  }) => {
    receiver = await startReceiver({ answers: [500] })
    const project = await ProjectFactory.create()
    const integration = await webhookTo(project, receiver)
    await DefaultBranchStatus.record(project.id, 'failing')
    const [job] = await jobsOf('deliver_notification')
    await clearJobs()
    await deliverNotification(job.payload, { job: { attempts: 1, max_attempts: 1 } } as JobHelpers)
    const [delivery] = await deliveriesOf('default_branch.red')
    assert.equal(delivery.status, 'failed')

    const maintainer = await userWithRole('maintainer')
    const page = await asUser(
      client,
      maintainer,
      'get',
      `/projects/${project.id}/integrations/${integration.id}`
    )
    page.assertStatus(200)
    assert.include(page.text(), delivery.deliveryUuid)
    assert.include(page.text(), 'HTTP 500')
    assert.include(page.text(), 'Redeliver')

    const url = `/projects/${project.id}/integrations/${integration.id}/deliveries/${delivery.id}/redelivery`
    const refused = await asUser(client, await userWithRole('reviewer'), 'post', url)
    refused.assertStatus(403)
    const withoutCsrf = await client.post(url).loginAs(maintainer).redirects(0)
    assert.notEqual(withoutCsrf.status(), 302, 'a POST without its CSRF token is refused')

    const response = await asUser(client, maintainer, 'post', url)
    response.assertStatus(302)
    assert.equal(
      response.header('location'),
      `/projects/${project.id}/integrations/${integration.id}`
    )
    const event = await AuditEvent.findByOrFail('action', 'notification_delivery.redelivered')
    assert.equal(event.actorId, maintainer.id)
    assert.equal(event.subjectId, delivery.id)

    await runQueuedDeliveries()
    const requests = await receiver.waitFor(2)
    assert.equal(requests[1].headers['x-gatehouse-delivery'], delivery.deliveryUuid)
    await delivery.refresh()
    assert.equal(delivery.status, 'delivered')
    assert.equal(delivery.attempts, 2)

    const again = await asUser(client, maintainer, 'post', url)
    assert.equal(again.status(), 302)
  })

  test('the integration page lists deliveries newest first, by keyset pages of 50', async ({
    client,
    assert,
  }) => {
    const project = await ProjectFactory.create()
    const integration = await webhookTo(project, receiver)
    for (let i = 0; i < 26; i++) {
      await DefaultBranchStatus.record(project.id, 'failing')
      await DefaultBranchStatus.record(project.id, 'passing')
    }
    const newestFirst = await NotificationDelivery.query().orderBy('id', 'desc')
    const ids = newestFirst.map((row) => row.id)
    assert.lengthOf(ids, 52)
    const viewer = await userWithRole('viewer')
    const first = await asUser(
      client,
      viewer,
      'get',
      `/projects/${project.id}/integrations/${integration.id}`
    )
    first.assertStatus(200)
    assert.notInclude(first.text(), 'Redeliver', 'a viewer reads, without the button')
    assert.include(first.text(), `after=${ids[49]}`)
    const second = await asUser(
      client,
      viewer,
      'get',
      `/projects/${project.id}/integrations/${integration.id}?after=${ids[49]}`
    )
    second.assertStatus(200)
    const shown = [...second.text().matchAll(/<code>([0-9a-f-]{36})<\/code>/g)].map((m) => m[1])
    const expected = await NotificationDelivery.query().whereIn('id', ids.slice(50))
    assert.sameMembers(
      shown,
      expected.map((delivery) => delivery.deliveryUuid)
    )
  })

  test('a receiver that never answers delays no claim and no page while a worker sends to it', async ({
    client,
    assert,
  }) => {
    receiver = await startReceiver({ hang: true })
    const project = await ProjectFactory.create()
    await webhookTo(project, receiver)
    const { token } = await agentWithToken(AgentFactory.create())
    await WorkItemFactory.apply('due').merge({ projectId: project.id }).create()
    const viewer = await userWithRole('viewer')
    const worker = await new Worker().start({ concurrency: 1, crontab: '' })
    try {
      await DefaultBranchStatus.record(project.id, 'failing')
      await receiver.waitFor(1)

      const started = performance.now()
      const claim = await client.post('/api/v1/claims').bearerToken(token).json({})
      const claimMs = performance.now() - started
      claim.assertStatus(201)
      const pageStarted = performance.now()
      const page = await asUser(client, viewer, 'get', `/projects/${project.id}`)
      const pageMs = performance.now() - pageStarted
      page.assertStatus(200)
      assert.isBelow(claimMs, 2000, `claim answered in ${Math.round(claimMs)} ms`)
      assert.isBelow(pageMs, 2000, `page answered in ${Math.round(pageMs)} ms`)
      const [delivery] = await deliveriesOf('default_branch.red')
      assert.equal(delivery.status, 'pending', 'the delivery is still in flight')

      // The receiver's silence is cut at the timeout and recorded as a failed attempt.
      const deadline = Date.now() + 20_000
      let attempt: NotificationDeliveryAttempt | null = null
      while (!attempt && Date.now() < deadline) {
        attempt = await NotificationDeliveryAttempt.query()
          .where('notificationDeliveryId', delivery.id)
          .first()
        if (!attempt) await new Promise((resolve) => setTimeout(resolve, 200))
      }
      assert.equal(attempt?.error, 'no answer within 10 s')
      assert.isAtLeast(attempt!.durationMs, 9_900)
      assert.isNull(attempt!.statusCode)
    } finally {
      await worker.stop()
    }
  }).timeout(60_000)

  test('/metrics counts deliveries by result', async ({ client, assert }) => {
    env.set('METRICS_TOKEN', 'metrics-secret')
    try {
      const project = await ProjectFactory.create()
      await webhookTo(project, receiver)
      await DefaultBranchStatus.record(project.id, 'failing')
      await runQueuedDeliveries()
      const text = await client
        .get('/metrics')
        .bearerToken('metrics-secret')
        .then((r) => r.text())
      assert.match(text, /gatehouse_notification_deliveries_total\{result="delivered"\} [1-9]/)
    } finally {
      env.set('METRICS_TOKEN', '')
    }
  })
})

test.group('Notifications: each event from its real trigger', (group) => {
  let receiver: Receiver
  group.each.setup(async () => {
    await emptyWorld()
    await clearJobs()
    receiver = await startReceiver()
    return () => closeReceivers()
  })
  group.teardown(() => leaveNothingBehind())

  async function queuedJobsFor(event: string) {
    const deliveries = await deliveriesOf(event)
    const jobs = await jobsOf('deliver_notification')
    return jobs.filter((job) => deliveries.some((d) => d.id === job.payload.deliveryId))
  }

  test('question.asked: an agent asks', async ({ assert }) => {
    const { project, run, agent, item } = await claimedRun()
    await webhookTo(project, receiver)
    await RunLifecycle.ask(run, agent, { question: 'Which database?', choices: ['pg', 'sqlite'] })
    const [delivery] = await deliveriesOf('question.asked')
    assert.deepInclude(delivery.data, {
      work_item: { id: item.id, title: item.title },
      question: {
        id: delivery.data.question.id,
        text: 'Which database?',
        choices: ['pg', 'sqlite'],
      },
    })
    assert.lengthOf(await queuedJobsFor('question.asked'), 1)
  })

  test('run.rejected and item.needs_human: the last attempt rejected by the gates', async ({
    assert,
  }) => {
    const { project, run, agent, item } = await claimedRun({
      gates: { tests_reported: true },
      attempts: 2,
      maxAttempts: 2,
    })
    await webhookTo(project, receiver)
    await RunLifecycle.complete(run, agent, {
      outcome: 'succeeded',
      tests: { passed: 0, failed: 2 },
    })
    const [rejected] = await deliveriesOf('run.rejected')
    assert.equal(rejected.data.inherited_failure, false)
    const [needsHuman] = await deliveriesOf('item.needs_human')
    assert.equal(needsHuman.data.work_item.id, item.id)
    assert.equal(needsHuman.data.work_item.attempts, 2)
    assert.lengthOf(await jobsOf('deliver_notification'), 2)
  })

  test('an earlier rejected attempt is run.rejected only (the item retries)', async ({
    assert,
  }) => {
    const { project, run, agent } = await claimedRun({ gates: { tests_reported: true } })
    await webhookTo(project, receiver)
    await RunLifecycle.complete(run, agent, {
      outcome: 'succeeded',
      tests: { passed: 0, failed: 1 },
    })
    assert.lengthOf(await deliveriesOf('run.rejected'), 1)
    assert.lengthOf(await deliveriesOf('item.needs_human'), 0)
  })

  test('item.completed: every accept gate passed', async ({ assert }) => {
    const { project, run, agent, item } = await claimedRun()
    await webhookTo(project, receiver)
    await RunLifecycle.complete(run, agent, {
      outcome: 'succeeded',
      prUrl: 'https://github.com/acme/web/pull/7',
    })
    const [completed] = await deliveriesOf('item.completed')
    assert.equal(completed.data.work_item.id, item.id)
    assert.equal(completed.data.run.pr_url, 'https://github.com/acme/web/pull/7')
    assert.lengthOf(await queuedJobsFor('item.completed'), 1)
  })

  test('budget.threshold: 80 % and 100 % of the monthly budget, each once per month', async ({
    assert,
  }) => {
    const project = await ProjectFactory.merge({ gatesConfig: { monthly_budget_usd: 10 } }).create()
    await webhookTo(project, receiver)
    const spend = async (usd: number) => {
      const { run, agent } = await claimedRun({ project })
      await RunLifecycle.complete(run, agent, { outcome: 'failed', costs: { usd } })
    }
    await spend(5)
    assert.lengthOf(await deliveriesOf('budget.threshold'), 0)
    await spend(3.5)
    let notices = await deliveriesOf('budget.threshold')
    assert.deepEqual(
      notices.map((delivery) => delivery.data.percent),
      [80]
    )
    assert.equal(notices[0].data.budget_usd, 10)
    assert.equal(Number(notices[0].data.spent_usd), 8.5)
    await spend(0.5)
    assert.lengthOf(await deliveriesOf('budget.threshold'), 1, '80 % once')
    await spend(2)
    await spend(4)
    notices = await deliveriesOf('budget.threshold')
    assert.deepEqual(
      notices.map((delivery) => delivery.data.percent),
      [80, 100]
    )
    assert.lengthOf(await queuedJobsFor('budget.threshold'), 2)
  })

  test('default_branch.red and default_branch.green: the branch status changes', async ({
    assert,
  }) => {
    const project = await ProjectFactory.create()
    await webhookTo(project, receiver)
    await DefaultBranchStatus.record(project.id, 'failing', [{ name: 'ci', detail: 'failed' }])
    await DefaultBranchStatus.record(project.id, 'failing')
    await DefaultBranchStatus.record(project.id, 'passing')
    const [red] = await deliveriesOf('default_branch.red')
    assert.deepInclude(red.data, { to: 'failing', failing_checks: ['ci'] })
    const [green] = await deliveriesOf('default_branch.green')
    assert.deepInclude(green.data, { from: 'failing', to: 'passing' })
    assert.lengthOf(await jobsOf('deliver_notification'), 2, 'a repeated status is no news')
  })

  test('kill_switch.changed: every project with an integration hears of it', async ({ assert }) => {
    const first = await ProjectFactory.create()
    const second = await ProjectFactory.create()
    await webhookTo(first, receiver)
    await webhookTo(second, receiver)
    const admin = await userWithRole('admin')
    await Setting.change({ agents_enabled: false, max_parallel_runs: null }, admin, null)
    await Setting.change({ agents_enabled: false, max_parallel_runs: 3 }, admin, null)
    const deliveries = await deliveriesOf('kill_switch.changed')
    assert.sameMembers(
      deliveries.map((delivery) => delivery.projectId),
      [first.id, second.id]
    )
    assert.deepEqual(deliveries[0].data, { agents_enabled: false, changed_by: admin.email })
    assert.lengthOf(await queuedJobsFor('kill_switch.changed'), 2)
  })
})

test.group('Notifications: integration form', (group) => {
  group.each.setup(() => emptyWorld())
  group.teardown(() => leaveNothingBehind())

  test('a webhook integration needs an http(s) URL; its events come from the checkboxes', async ({
    client,
    assert,
  }) => {
    const project = await ProjectFactory.create()
    const maintainer = await userWithRole('maintainer')
    const base = `/projects/${project.id}/integrations`

    const missing = await asUser(client, maintainer, 'post', base, {
      kind: 'webhook',
      name: 'ops',
      secret: SIGNING_SECRET,
    }).header('referer', `${base}/new`)
    assert.property(fieldErrors(missing), 'url')
    assert.notInclude(JSON.stringify(missing.flashMessages()), SIGNING_SECRET)
    const refusedForm = await client
      .get(`${base}/new`)
      .loginAs(maintainer)
      .withFlashMessages({
        ...(missing.flashMessages() as Record<string, any>),
        events: ['run.rejected'],
      })
    assert.include(refusedForm.text(), 'value="run.rejected" checked')
    assert.notInclude(refusedForm.text(), 'value="item.completed" checked', 'as the user left them')
    const ftp = await asUser(client, maintainer, 'post', base, {
      kind: 'webhook',
      name: 'ops',
      secret: SIGNING_SECRET,
      url: 'ftp://example.com/hook',
    })
    assert.property(fieldErrors(ftp), 'url')
    const unknownEvent = await asUser(client, maintainer, 'post', base, {
      kind: 'webhook',
      name: 'ops',
      secret: SIGNING_SECRET,
      url: 'https://example.com/hook',
      events: ['run.exploded'],
    })
    assert.property(fieldErrors(unknownEvent), 'events.0')

    const created = await asUser(client, maintainer, 'post', base, {
      kind: 'webhook',
      name: 'ops',
      secret: SIGNING_SECRET,
      url: 'https://example.com/hook',
      events: ['run.rejected', 'item.needs_human'],
    })
    created.assertStatus(302)
    const integration = await Integration.findByOrFail('name', 'ops')
    assert.equal(integration.url, 'https://example.com/hook')
    assert.deepEqual(integration.notificationEvents, ['item.needs_human', 'run.rejected'])
    assert.equal(integration.revealSecret(), SIGNING_SECRET)

    const edit = await asUser(client, maintainer, 'get', `${base}/${integration.id}/edit`)
    assert.include(edit.text(), 'value="run.rejected" checked')
    assert.notInclude(edit.text(), 'value="item.completed" checked')
    assert.notInclude(edit.text(), SIGNING_SECRET)

    await asUser(client, maintainer, 'put', `${base}/${integration.id}`, {
      kind: 'webhook',
      name: 'ops',
      secret: '',
      url: 'https://example.com/v2',
    })
    await integration.refresh()
    assert.equal(integration.url, 'https://example.com/v2')
    assert.isNull(integration.notificationEvents, 'none ticked: all events')
    assert.equal(integration.revealSecret(), SIGNING_SECRET, 'a blank secret keeps it')
    const updated = await AuditEvent.findByOrFail('action', 'integration.updated')
    assert.deepEqual(updated.details, {
      url: { from: 'https://example.com/hook', to: 'https://example.com/v2' },
      notification_events: { from: ['item.needs_human', 'run.rejected'], to: null },
    })
  })

  test("the project's GitHub webhook secret may stay a webhook integration without a URL", async ({
    client,
    assert,
  }) => {
    const project = await ProjectFactory.merge({ webhookSecretName: 'GITHUB_WEBHOOK' }).create()
    const response = await asUser(
      client,
      await userWithRole('maintainer'),
      'post',
      `/projects/${project.id}/integrations`,
      { kind: 'webhook', name: 'GITHUB_WEBHOOK', secret: 'gh-secret' }
    )
    response.assertStatus(302)
    assert.deepEqual(fieldErrors(response), {})
    const integration = await Integration.findByOrFail('name', 'GITHUB_WEBHOOK')
    assert.isNull(integration.url)
    // It receives no notifications: there is nowhere to send them.
    await DefaultBranchStatus.record(project.id, 'failing')
    assert.lengthOf(await NotificationDelivery.all(), 0)
  })
})
