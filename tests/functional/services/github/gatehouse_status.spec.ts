import { test } from '@japa/runner'
import { DateTime } from 'luxon'
import { appUrl } from '#config/app'
import AuditEvent from '#models/audit_event'
import Run from '#models/run'
import type { GatesConfig } from '#models/project'
import RunLifecycle from '#services/runs/run_lifecycle'
import GatehouseStatus from '#services/github/gatehouse_status'
import { UserFactory } from '#database/factories/user_factory'
import { claimedRun } from '#tests/support/claimed_run'
import { asUser } from '#tests/support/admin_pages'
import { webhookExample } from '#tests/support/fake_github/recorded_shapes'
import {
  deliver,
  githubProject,
  fakeGitHubGroup,
  jobsOf,
  runGitHubJobs,
  EXAMPLE_REPO,
} from '#tests/support/github_world'

const HEAD = 'a'.repeat(40)
const NEXT = 'c'.repeat(40)
const BRANCH = 'agent/issue-42'
const PR = 7

/** Issue #42's item, its run reported on PR #7 (opened during the run), judged by the jobs. */
async function completedRun(fake: any, gates: GatesConfig, files = ['src/app.ts']) {
  fake.pull(EXAMPLE_REPO, { number: PR, head: BRANCH, sha: HEAD, body: 'Fixes #42', files })
  const project = await githubProject({ gatesConfig: gates })
  const world = await claimedRun({ project, startedAt: DateTime.now().minus({ minutes: 5 }) })
  await world.item.merge({ source: 'github', externalRef: 'github:issue:42' }).save()
  await RunLifecycle.complete(world.run, world.agent, {
    outcome: 'succeeded',
    prNumber: PR,
    branchName: BRANCH,
    headSha: HEAD,
  })
  await runGitHubJobs()
  await world.run.refresh()
  await world.item.refresh()
  return world
}

/** GitHub's `synchronize` delivery for new commits on PR #7 (signed, through the receiver). */
async function synchronize(fake: any, sha: string, files?: string[]) {
  fake.push(EXAMPLE_REPO, PR, sha, files)
  const payload = webhookExample('pull_request', 'synchronize')
  payload.number = PR
  payload.pull_request.number = PR
  payload.pull_request.head.sha = sha
  payload.after = sha
  const delivered = await deliver('pull_request', payload)
  if (delivered.status !== 202) throw new Error(`synchronize refused: ${delivered.status}`)
  await runGitHubJobs()
}

const gatehouseStatuses = (fake: any, sha: string) =>
  fake
    .statuses(EXAMPLE_REPO, sha)
    .filter((status: any) => status.context === 'gatehouse')
    .map((status: any) => [status.state, status.description])

test.group('The gatehouse commit status', (group) => {
  const github = fakeGitHubGroup(group, { jobs: true })

  test('pending while gates wait, then success, with the run page as target URL', async ({
    assert,
  }) => {
    github.fake.checkRun(EXAMPLE_REPO, HEAD, 'ci', 'in_progress')
    const { run, item } = await completedRun(github.fake, { required_checks: ['ci'] })
    assert.equal(item.status, 'verifying')
    assert.deepEqual(gatehouseStatuses(github.fake, HEAD), [
      ['pending', 'Waiting for required_checks'],
    ])
    const [posted] = github.fake.statuses(EXAMPLE_REPO, HEAD)
    assert.equal(posted.target_url, `${appUrl}/runs/${run.id}`)

    github.fake.checkRun(EXAMPLE_REPO, HEAD, 'ci', 'completed', 'success')
    const checkRun = webhookExample('check_run', 'completed')
    checkRun.check_run.head_sha = HEAD
    await deliver('check_run', checkRun)
    await runGitHubJobs()

    await item.refresh()
    assert.equal(item.status, 'completed')
    assert.deepEqual(gatehouseStatuses(github.fake, HEAD)[0], [
      'success',
      `Accepted by Gatehouse (run #${run.id})`,
    ])
  })

  test('failure carries the first failed gate and its reason, cut to 140 characters', async ({
    assert,
  }) => {
    const longName = `integration-${'x'.repeat(150)}`
    github.fake.checkRun(EXAMPLE_REPO, HEAD, longName, 'completed', 'failure')
    const { run } = await completedRun(github.fake, { required_checks: [longName] })
    assert.equal(run.gateStatus, 'failed')
    const [[state, description]] = gatehouseStatuses(github.fake, HEAD)
    assert.equal(state, 'failure')
    assert.lengthOf(description, 140)
    assert.isTrue(description.startsWith(`required_checks: ${longName.slice(0, 20)}`))
    assert.isTrue(description.endsWith('…'))
  })

  test('the job is enqueued with the verdict; GitHub refusing (422) gives up with an audit event, a 5xx is retried', async ({
    assert,
  }) => {
    github.fake.checkRun(EXAMPLE_REPO, HEAD, 'ci', 'in_progress')
    github.fake.pull(EXAMPLE_REPO, { number: PR, head: BRANCH, sha: HEAD, body: 'Fixes #42' })
    const project = await githubProject({ gatesConfig: { required_checks: ['ci'] } })
    const { run, agent } = await claimedRun({
      project,
      startedAt: DateTime.now().minus({ minutes: 5 }),
    })
    await RunLifecycle.complete(run, agent, {
      outcome: 'succeeded',
      prNumber: PR,
      branchName: BRANCH,
    })
    assert.lengthOf(await jobsOf('post_gatehouse_status'), 0, 'nothing judged on GitHub yet')
    await RunLifecycle.evaluateGates(run.id)
    const enqueued = await jobsOf('post_gatehouse_status')
    assert.deepEqual(
      enqueued.map((job) => [job.key, job.payload]),
      [[`gatehouse_status:${run.id}`, { runId: run.id }]]
    )
    await runGitHubJobs()
    const posts = github.fake.requestsTo('POST', /\/statuses\//).length
    await RunLifecycle.evaluateGates(run.id)
    await runGitHubJobs()
    assert.lengthOf(
      github.fake.requestsTo('POST', /\/statuses\//),
      posts,
      'an unchanged verdict posts nothing again'
    )

    github.fake.fail(/\/statuses\/a+$/, 502, { method: 'POST', times: 10 })
    await assert.rejects(
      () => GatehouseStatus.post({ runId: run.id }, { number: 1, max: 8 }),
      /GitHub answered 502/
    )
    github.fake.reset()
    github.fake.fail(/\/statuses\/a+$/, 422, { method: 'POST' })
    assert.equal(await GatehouseStatus.post({ runId: run.id }, { number: 1, max: 8 }), 'gave_up')
    const failed = await AuditEvent.findByOrFail('action', 'github.status_failed')
    assert.equal(failed.details.state, 'pending')
    github.fake.rateLimit(/\/statuses\//, { times: 1 })
    await assert.rejects(
      () => GatehouseStatus.post({ runId: run.id }, { number: 2, max: 8 }),
      /rate limit/
    )
  })
})

test.group('New commits on a judged pull request (synchronize)', (group) => {
  const github = fakeGitHubGroup(group, { jobs: true })

  test('during verification the new head is judged: its own checks, reviews of the old head stale, a review withdrawn', async ({
    assert,
  }) => {
    github.fake.checkRun(EXAMPLE_REPO, HEAD, 'ci', 'completed', 'success')
    github.fake.review(EXAMPLE_REPO, PR, 'alice', 'APPROVED')
    const { run, item } = await completedRun(
      github.fake,
      { required_checks: ['ci'], min_approvals: 2 },
      ['.github/workflows/ci.yml']
    )
    const reviewer = await UserFactory.merge({ role: 'reviewer' }).create()
    await RunLifecycle.review(run, reviewer, 'approved')
    await runGitHubJobs()
    await run.refresh()
    assert.equal(run.reviewStatus, 'approved')
    assert.equal(run.gateStatus, 'pending', 'one approval of two')

    github.fake.checkRun(EXAMPLE_REPO, NEXT, 'ci', 'in_progress')
    await synchronize(github.fake, NEXT, ['.github/workflows/ci.yml'])

    await run.refresh()
    await item.refresh()
    assert.equal(run.judgedHeadSha, NEXT)
    assert.isNull(run.reviewStatus, 'a human review of the old head does not carry over')
    const verdict = (gate: string) => run.gateResults.find((entry) => entry.gate === gate)!
    assert.equal(
      verdict('pull_request').verdict,
      'passed',
      'not stale_sha: GitHub told of the push'
    )
    assert.equal(verdict('required_checks').reason, 'ci: check run in_progress (on ccccccc)')
    assert.equal(verdict('min_approvals').code, 'stale_approval')
    assert.equal(verdict('protected_paths').verdict, 'pending')
    assert.equal(item.status, 'verifying')
    const moved = await AuditEvent.findByOrFail('action', 'run.pr_head_moved')
    assert.deepEqual(moved.details, { from: HEAD, to: NEXT, review_withdrawn: 'approved' })
    assert.deepEqual(gatehouseStatuses(github.fake, NEXT)[0][0], 'pending')
  })

  test('after acceptance: the item stays completed, a warning is raised, the status goes back to pending until the new head passes', async ({
    assert,
    client,
  }) => {
    github.fake.checkRun(EXAMPLE_REPO, HEAD, 'ci', 'completed', 'success')
    const { run, item } = await completedRun(github.fake, { required_checks: ['ci'] })
    assert.equal(item.status, 'completed')
    assert.equal(gatehouseStatuses(github.fake, HEAD)[0][0], 'success')

    github.fake.checkRun(EXAMPLE_REPO, NEXT, 'ci', 'in_progress')
    await synchronize(github.fake, NEXT)

    await run.refresh()
    await item.refresh()
    assert.equal(item.status, 'completed', 'the item does not go back')
    assert.isNotNull(run.prChangedAt)
    assert.equal(run.gateStatus, 'passed')
    const changed = await AuditEvent.findByOrFail('action', 'run.pr_changed_after_acceptance')
    assert.deepEqual(changed.details, { pr_number: PR, from: HEAD, to: NEXT })
    assert.deepEqual(gatehouseStatuses(github.fake, NEXT)[0], [
      'pending',
      'Waiting for required_checks',
    ])

    const viewer = await UserFactory.merge({ role: 'viewer' }).create()
    const itemPage = await asUser(client, viewer, 'get', `/work-items/${item.id}`)
    itemPage.assertTextIncludes('Pull request changed after acceptance.')
    const dashboard = await asUser(client, viewer, 'get', '/')
    dashboard.assertTextIncludes('Pull requests changed after acceptance')
    dashboard.assertTextIncludes(`/runs/${run.id}`)

    github.fake.checkRun(EXAMPLE_REPO, NEXT, 'ci', 'completed', 'success')
    const checkRun = webhookExample('check_run', 'completed')
    checkRun.check_run.head_sha = NEXT
    await deliver('check_run', checkRun)
    await runGitHubJobs()

    const fresh = await Run.findOrFail(run.id)
    assert.isNull(fresh.prChangedAt, 'the warning stays only until the gates pass again')
    assert.equal(fresh.judgedHeadSha, NEXT)
    assert.deepEqual(gatehouseStatuses(github.fake, NEXT)[0], [
      'success',
      `Accepted by Gatehouse (run #${run.id})`,
    ])
    await AuditEvent.findByOrFail('action', 'run.pr_accepted_again')
    const quiet = await asUser(client, viewer, 'get', `/work-items/${item.id}`)
    assert.notInclude(quiet.text(), 'Pull request changed after acceptance.')
  })
})
