import { test } from '@japa/runner'
import { DateTime } from 'luxon'
import AuditEvent from '#models/audit_event'
import Run from '#models/run'
import WorkItem from '#models/work_item'
import { AgentFactory } from '#database/factories/agent_factory'
import { claimedRun, tokenFor } from '#tests/support/claimed_run'
import { webhookExample } from '#tests/support/fake_github/recorded_shapes'
import {
  deliver,
  githubProject,
  fakeGitHubGroup,
  runGitHubJobs,
  EXAMPLE_REPO,
} from '#tests/support/github_world'

const OLD_SHA = '1111111111111111111111111111111111111111'
const NEW_SHA = '2222222222222222222222222222222222222222'
const OLD_PR = 2
const DAY = 24 * 60 * 60 * 1000

/**
 * The world a hostile agent finds: issue #1 labelled `agent-ready` on a project that requires
 * CI (`ci`) and one approval, and an old pull request (#2) that was approved, went green and
 * was accepted for another item weeks ago.
 */
async function worldWithAnOldApprovedPullRequest(fake: any) {
  const project = await githubProject({
    gatesConfig: { required_checks: ['ci'], min_approvals: 1 },
  })
  fake.issue(EXAMPLE_REPO, {
    number: 1,
    title: 'Spelling error in the README',
    labels: ['agent-ready'],
  })
  fake.pull(EXAMPLE_REPO, {
    number: OLD_PR,
    head: 'fix-readme',
    sha: OLD_SHA,
    title: 'Fix the README (#7)',
    body: 'Fixes #7',
    createdAt: new Date(Date.now() - 30 * DAY),
    updatedAt: new Date(Date.now() - 29 * DAY),
    files: ['README.md'],
  })
  fake.checkRun(EXAMPLE_REPO, OLD_SHA, 'ci', 'completed', 'success')
  fake.review(EXAMPLE_REPO, OLD_PR, 'alice', 'APPROVED')
  // The earlier item that PR #2 was accepted for.
  const earlier = await claimedRun({ project })
  await earlier.item.merge({ status: 'completed', lockedByAgentId: null }).save()
  await earlier.run
    .merge({
      status: 'succeeded',
      gateStatus: 'passed',
      prNumber: OLD_PR,
      headSha: OLD_SHA,
      judgedHeadSha: OLD_SHA,
      branchName: 'fix-readme',
    })
    .save()

  // The issue arrives through the webhook receiver, as on GitHub.
  const opened = webhookExample('issues', 'opened')
  opened.issue.labels = [{ ...opened.issue.labels[0], name: 'agent-ready' }]
  opened.issue.title = 'Spelling error in the README'
  const delivered = await deliver('issues', opened)
  await runGitHubJobs()
  const item = await WorkItem.query()
    .where('projectId', project.id)
    .where('externalRef', 'github:issue:1')
    .firstOrFail()
  const agent = await AgentFactory.merge({
    capabilities: { work_types: ['*'], tags: [] },
    githubLogin: 'gatehouse-bot',
  }).create()
  return { project, item, agent, token: await tokenFor(agent), delivered, earlier }
}

/** GitHub tells Gatehouse that the checks and reviews of PR #2 changed (signed webhooks). */
async function githubAnnouncesNews(sha: string, pull: number) {
  const checkRun = webhookExample('check_run', 'completed')
  checkRun.check_run.head_sha = sha
  checkRun.check_run.pull_requests = [{ ...checkRun.check_run.pull_requests[0], number: pull }]
  const review = webhookExample('pull_request_review', 'submitted')
  review.pull_request.number = pull
  review.pull_request.head.sha = sha
  review.review.commit_id = sha
  for (const [event, payload] of [
    ['check_run', checkRun],
    ['pull_request_review', review],
  ] as const) {
    const delivered = await deliver(event, payload)
    if (delivered.status !== 202) throw new Error(`${event} refused`)
  }
  await runGitHubJobs()
}

test.group('A hostile completion, end to end (agent API and webhooks)', (group) => {
  const github = fakeGitHubGroup(group, { jobs: true })

  test('an old approved PR on an old green SHA, with no change, is refused with its reasons', async ({
    client,
    assert,
  }) => {
    const world = await worldWithAnOldApprovedPullRequest(github.fake)
    assert.equal(world.delivered.status, 202)

    const claim = await client.post('/api/v1/claims').bearerToken(world.token).json({})
    claim.assertStatus(201)
    assert.equal(claim.body().work_item.id, world.item.id)
    const runId = claim.body().run.id

    // Nothing done: it reports the old PR, its branch and its green head.
    const completion = await client
      .post(`/api/v1/runs/${runId}/complete`)
      .bearerToken(world.token)
      .json({
        outcome: 'succeeded',
        summary: 'Fixed the spelling',
        branch_name: 'fix-readme',
        pr_number: OLD_PR,
        pr_url: `https://github.com/${EXAMPLE_REPO}/pull/${OLD_PR}`,
        head_sha: OLD_SHA,
        tests: { passed: 10, failed: 0 },
      })
    completion.assertStatus(200)
    assert.equal(completion.body().work_item.status, 'verifying')

    await runGitHubJobs()
    await githubAnnouncesNews(OLD_SHA, OLD_PR)

    const run = await Run.findOrFail(runId)
    const item = await WorkItem.findOrFail(world.item.id)
    assert.equal(run.gateStatus, 'failed')
    assert.notEqual(item.status, 'completed')
    assert.equal(item.status, 'pending', 'the item retries after a backoff')
    const pullRequest = run.gateResults.find((verdict) => verdict.gate === 'pull_request')!
    assert.equal(pullRequest.verdict, 'failed')
    assert.equal(pullRequest.code, 'pr_not_linked')
    for (const code of ['pr_not_linked', 'pr_reused', 'pr_stale'])
      assert.include(pullRequest.reason, `${code}:`)
    assert.include(pullRequest.reason, 'neither its title nor its body references issue #1')
    assert.include(pullRequest.reason, `already backs work item #${world.earlier.item.id}`)
    assert.equal((pullRequest.facts as any).head.sha, OLD_SHA, 'the facts GitHub gave are kept')

    // The agent sees why, the audit trail records the codes, and nothing was said on the old PR.
    const shown = await client.get(`/api/v1/runs/${runId}`).bearerToken(world.token)
    shown.assertStatus(200)
    assert.equal(shown.body().gate_status, 'failed')
    assert.include(
      shown.body().gate_results.map((verdict: any) => verdict.code),
      'pr_not_linked'
    )
    const failed = await AuditEvent.query()
      .where('action', 'gate.failed')
      .where('subjectId', runId)
      .firstOrFail()
    assert.include(failed.details.codes as string[], 'pr_not_linked')
    assert.lengthOf(github.fake.statuses(EXAMPLE_REPO, OLD_SHA), 0)
  })

  test('the same item passes with its own new PR, approved and green on its head', async ({
    client,
    assert,
  }) => {
    const world = await worldWithAnOldApprovedPullRequest(github.fake)
    const claim = await client.post('/api/v1/claims').bearerToken(world.token).json({})
    const runId = claim.body().run.id
    github.fake.pull(EXAMPLE_REPO, {
      number: 3,
      head: 'agent/issue-1',
      sha: NEW_SHA,
      title: 'Fix the spelling in the README',
      body: 'Fixes #1',
      files: ['README.md'],
    })

    await client
      .post(`/api/v1/runs/${runId}/complete`)
      .bearerToken(world.token)
      .json({
        outcome: 'succeeded',
        branch_name: 'agent/issue-1',
        pr_number: 3,
        head_sha: NEW_SHA,
      })
      .then((response) => response.assertStatus(200))
    await runGitHubJobs()
    let run = await Run.findOrFail(runId)
    assert.equal(run.gateStatus, 'pending')
    assert.deepEqual(github.fake.statuses(EXAMPLE_REPO, NEW_SHA)[0]?.state, 'pending')

    github.fake.checkRun(EXAMPLE_REPO, NEW_SHA, 'ci', 'completed', 'success')
    github.fake.review(EXAMPLE_REPO, 3, 'alice', 'APPROVED')
    await githubAnnouncesNews(NEW_SHA, 3)

    run = await Run.findOrFail(runId)
    const item = await WorkItem.findOrFail(world.item.id)
    assert.equal(run.gateStatus, 'passed')
    assert.equal(item.status, 'completed')
    const [status] = github.fake.statuses(EXAMPLE_REPO, NEW_SHA)
    assert.equal(status.state, 'success')
    assert.equal(status.context, 'gatehouse')
    assert.match(status.target_url, new RegExp(`/runs/${runId}$`))
    assert.isTrue(DateTime.fromISO(status.created_at).isValid)
  })
})
