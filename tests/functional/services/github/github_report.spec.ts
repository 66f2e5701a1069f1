import { test } from '@japa/runner'
import db from '@adonisjs/lucid/services/db'
import AuditEvent from '#models/audit_event'
import Policy from '#models/policy'
import WorkItem from '#models/work_item'
import ClaimService from '#services/claims/claim_service'
import RunLifecycle from '#services/runs/run_lifecycle'
import GitHubReport, { commentMarker } from '#services/github/github_report'
import reportItemToGitHub from '#jobs/report_item_to_github'
import reportRunToGitHub from '#jobs/report_run_to_github'
import { AgentFactory } from '#database/factories/agent_factory'
import { WorkItemFactory } from '#database/factories/work_item_factory'
import {
  clearJobs,
  githubProject,
  jobsOf,
  fakeGitHubGroup,
  runGitHubJobs,
  EXAMPLE_REPO,
} from '#tests/support/github_world'
import { emptyWorld } from '#tests/support/test_database'

/** A job's helpers as graphile-worker passes them: only the attempt counters are read. */
const attempt = (attempts: number, max = 8) => ({ job: { attempts, max_attempts: max } }) as any

async function claimIssueItem(options: { report?: boolean; gates?: Record<string, unknown> } = {}) {
  const project = await githubProject({ gatesConfig: options.gates ?? {} })
  if (options.report === false)
    await Policy.create({ projectId: project.id, key: 'report_to_github', value: false })
  const agent = await AgentFactory.merge({
    key: `claude-${Math.random().toString(36).slice(2, 8)}`,
    capabilities: { work_types: ['*'], tags: [] },
  }).create()
  const item = await WorkItemFactory.merge({
    projectId: project.id,
    source: 'github',
    externalRef: 'github:issue:42',
  }).create()
  const claim = await ClaimService.claim(agent)
  if (claim.outcome !== 'claimed') throw new Error(`expected a claim, got ${claim.outcome}`)
  return { project, agent, item, run: claim.run }
}

/** Claims the item again with another agent, once its backoff is over. */
async function claimAgain(item: WorkItem) {
  await item.refresh()
  // Another agent: the first one's retry affinity (issue 12) is over too.
  await item
    .merge({
      runAfter: item.runAfter!.minus({ hours: 2 }),
      affinityAgentId: null,
      affinityUntil: null,
    })
    .save()
  const agent = await AgentFactory.merge({
    key: `codex-${Math.random().toString(36).slice(2, 8)}`,
    capabilities: { work_types: ['*'], tags: [] },
  }).create()
  const claim = await ClaimService.claim(agent)
  if (claim.outcome !== 'claimed') throw new Error(`expected a claim, got ${claim.outcome}`)
  return { agent, run: claim.run }
}

test.group('One comment per work item, kept current', (group) => {
  const github = fakeGitHubGroup(group, { jobs: true })

  test('a claim enqueues the item comment job; it posts once, then edits', async ({ assert }) => {
    github.fake.issue(EXAMPLE_REPO, { number: 42, labels: ['agent-ready'] })
    const { run, item, agent } = await claimIssueItem()

    const jobs = await jobsOf('report_item_to_github')
    assert.deepEqual(
      jobs.map((job) => [job.key, job.payload]),
      [[`report_item:${item.id}`, { workItemId: item.id }]]
    )

    await reportItemToGitHub(jobs[0].payload, attempt(1))
    await reportItemToGitHub(jobs[0].payload, attempt(2)) // a retry after a crash past the POST
    const comments = github.fake.comments(EXAMPLE_REPO, 42)
    assert.lengthOf(comments, 1)
    assert.include(comments[0].body, `work item #${item.id}: **in progress**`)
    assert.include(comments[0].body, `by \`${agent.key}\`: running`)
    assert.include(comments[0].body, commentMarker(item.id))
    assert.lengthOf(github.fake.requestsTo('POST', /\/issues\/42\/comments$/), 1)
    assert.lengthOf(github.fake.requestsTo('PATCH', /\/issues\/comments\/\d+$/), 1)
    await item.refresh()
    assert.equal(Number(item.githubCommentId), comments[0].id)
    void run
  })

  test('edited in place across two runs, released and failed runs shown, gates with their codes and cost', async ({
    assert,
  }) => {
    github.fake.issue(EXAMPLE_REPO, { number: 42, labels: ['agent-ready'] })
    const first = await claimIssueItem({ gates: { tests_reported: true } })
    await runGitHubJobs()
    await RunLifecycle.complete(first.run, first.agent, {
      outcome: 'succeeded',
      tests: { passed: 3, failed: 2 },
      costs: { usd: 0.5 },
    })
    await runGitHubJobs()
    let [comment] = github.fake.comments(EXAMPLE_REPO, 42)
    assert.include(comment.body, 'rejected by gates')
    assert.include(comment.body, '| tests_reported | failed |  | 3 passed, 2 failed, 0 skipped |')

    const second = await claimAgain(first.item)
    await RunLifecycle.release(second.run, second.agent, 'out of budget')
    await runGitHubJobs()
    const third = await claimAgain(first.item)
    github.fake.pull(EXAMPLE_REPO, {
      number: 9,
      head: 'agent/42',
      sha: 'd'.repeat(40),
      body: 'Fixes #42',
    })
    await RunLifecycle.complete(third.run, third.agent, {
      outcome: 'succeeded',
      prUrl: `https://github.com/${EXAMPLE_REPO}/pull/9`,
      branchName: 'agent/other',
      tests: { passed: 5, failed: 0 },
      costs: { usd: 0.25 },
    })
    await runGitHubJobs()

    const comments = github.fake.comments(EXAMPLE_REPO, 42)
    assert.lengthOf(comments, 1, 'one comment, edited')
    assert.lengthOf(github.fake.requestsTo('POST', /\/issues\/42\/comments$/), 1)
    ;[comment] = comments
    assert.include(comment.body, `Current run | [#${third.run.id}]`)
    assert.include(comment.body, 'Attempts | 2 of 3')
    assert.include(comment.body, 'Cost so far | $0.75')
    assert.include(comment.body, `Pull request | https://github.com/${EXAMPLE_REPO}/pull/9`)
    assert.include(comment.body, '| pull_request | failed | pr_not_linked |')
    assert.include(comment.body, `| ${second.run.attempt} | released (out of budget) |`)
    assert.match(comment.body, new RegExp(`\\[#${first.run.id}\\].*rejected by gates`))
  })

  test('a cancelled run is shown; a deleted comment is posted again', async ({ assert }) => {
    github.fake.issue(EXAMPLE_REPO, { number: 42, labels: ['agent-ready'] })
    const { run, item, agent } = await claimIssueItem()
    await runGitHubJobs()
    const [posted] = github.fake.comments(EXAMPLE_REPO, 42)
    github.fake.deleteComment(EXAMPLE_REPO, posted.id)

    const fresh = await WorkItem.findOrFail(item.id)
    await db.transaction((trx) => fresh.cancelBySystem(trx, 'the issue was closed'))
    await RunLifecycle.complete(run, agent, { outcome: 'failed' })
    await runGitHubJobs()

    const comments = github.fake.comments(EXAMPLE_REPO, 42)
    assert.lengthOf(comments, 1)
    assert.notEqual(comments[0].id, posted.id)
    assert.include(comments[0].body, '**cancelled**')
    assert.include(comments[0].body, 'by `' + agent.key + '`: cancelled')
    await item.refresh()
    assert.equal(Number(item.githubCommentId), comments[0].id)
  })

  test('a comment GitHub stored but answered 502 to is not posted again (no blind retry of the POST)', async ({
    assert,
  }) => {
    github.fake.issue(EXAMPLE_REPO, { number: 42, labels: ['agent-ready'] })
    const { item } = await claimIssueItem()
    github.fake.fail(/\/issues\/42\/comments$/, 502, { method: 'POST', afterApplying: true })

    await assert.rejects(
      () => reportItemToGitHub({ workItemId: item.id }, attempt(1)),
      /GitHub answered 502/
    )
    assert.equal(await GitHubReport.post(item.id, { number: 2, max: 8 }), 'edited')
    assert.lengthOf(github.fake.comments(EXAMPLE_REPO, 42), 1)
    assert.lengthOf(github.fake.requestsTo('POST', /\/issues\/42\/comments$/), 1)
  })

  test('nothing is reported when the policy is off or the item has no issue; old run jobs refresh the item', async ({
    assert,
  }) => {
    const quiet = await claimIssueItem({ report: false })
    await RunLifecycle.complete(quiet.run, quiet.agent, { outcome: 'failed' })
    assert.lengthOf(await jobsOf('report_item_to_github'), 0)

    const manual = await WorkItemFactory.merge({
      projectId: quiet.project.id,
      externalRef: null,
    }).create()
    await manual.merge({ status: 'pending' }).save()
    await Policy.query().where('projectId', quiet.project.id).delete()
    await ClaimService.claim(await AgentFactory.create())
    assert.lengthOf(await jobsOf('report_item_to_github'), 0)

    await emptyWorld()
    await clearJobs()
    github.fake.issue(EXAMPLE_REPO, { number: 42 })
    const { run } = await claimIssueItem()
    await reportRunToGitHub({ runId: run.id, moment: 'started' }, attempt(1))
    assert.lengthOf(github.fake.comments(EXAMPLE_REPO, 42), 1)
  })

  test('a 500 makes the job throw (the queue retries) until the last attempt, which gives up with an audit event', async ({
    assert,
  }) => {
    github.fake.issue(EXAMPLE_REPO, { number: 42 })
    const { item } = await claimIssueItem()
    github.fake.fail(/\/issues\/42\/comments$/, 500, { times: 100 })

    await assert.rejects(
      () => reportItemToGitHub({ workItemId: item.id }, attempt(1)),
      /GitHub answered 500/
    )
    assert.lengthOf(await AuditEvent.query().where('action', 'github.comment_failed'), 0)

    await reportItemToGitHub({ workItemId: item.id }, attempt(8))
    const gaveUp = await AuditEvent.findByOrFail('action', 'github.comment_failed')
    assert.include(gaveUp.details, { issue: 42, kind: 'unreachable', attempts: 8 })
  })

  test('a rate limit is retried by the queue; a rejected token or a missing issue gives up at once', async ({
    assert,
  }) => {
    github.fake.issue(EXAMPLE_REPO, { number: 1 })
    const { item, project } = await claimIssueItem()

    github.fake.rateLimit(/\/comments$/, { status: 403 })
    await assert.rejects(() => GitHubReport.post(item.id, { number: 1, max: 8 }), /rate limit/)

    assert.equal(
      await GitHubReport.post(item.id, { number: 2, max: 8 }),
      'gave_up',
      'issue 42 does not exist'
    )
    github.fake.fail(/\/comments$/, 401)
    assert.equal(await GitHubReport.post(item.id, { number: 3, max: 8 }), 'gave_up')

    const gaveUp = await AuditEvent.query().where('action', 'github.comment_failed').orderBy('id')
    assert.deepEqual(
      gaveUp.map((event) => event.details.kind),
      ['not_found', 'token_rejected']
    )
    await project.refresh()
    assert.equal(project.githubStatus, 'token_rejected')
  })

  test('a pending verdict edits the comment only when it changed', async ({ assert }) => {
    github.fake.issue(EXAMPLE_REPO, { number: 42 })
    const { run, agent } = await claimIssueItem({ gates: { human_review: true } })
    await RunLifecycle.complete(run, agent, { outcome: 'succeeded' })
    await runGitHubJobs()
    const edits = github.fake.requestsTo('PATCH', /\/issues\/comments\/\d+$/).length
    await RunLifecycle.evaluateGates(run.id)
    await RunLifecycle.evaluateGates(run.id)
    assert.lengthOf(await jobsOf('report_item_to_github'), 0)
    assert.lengthOf(github.fake.requestsTo('PATCH', /\/issues\/comments\/\d+$/), edits)
  })
})
