import { test } from '@japa/runner'
import AuditEvent from '#models/audit_event'
import Policy from '#models/policy'
import ClaimService from '#services/claims/claim_service'
import RunLifecycle from '#services/runs/run_lifecycle'
import GitHubReport from '#services/github/github_report'
import reportRunToGitHub from '#jobs/report_run_to_github'
import { AgentFactory } from '#database/factories/agent_factory'
import { WorkItemFactory } from '#database/factories/work_item_factory'
import { emptyWorld } from '#tests/support/claim_world'
import {
  clearJobs,
  githubProject,
  jobsOf,
  fakeGitHubGroup,
  EXAMPLE_REPO,
} from '#tests/support/github_world'

/** A job's helpers as graphile-worker passes them: only the attempt counters are read. */
const attempt = (attempts: number, max = 8) => ({ job: { attempts, max_attempts: max } }) as any

async function claimIssueItem(options: { report?: boolean; gates?: Record<string, unknown> } = {}) {
  const project = await githubProject({ gatesConfig: options.gates ?? {} })
  if (options.report === false)
    await Policy.create({ projectId: project.id, key: 'report_to_github', value: false })
  const agent = await AgentFactory.merge({
    key: 'claude-1',
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

test.group('Reporting runs back to GitHub issues', (group) => {
  const github = fakeGitHubGroup(group, { jobs: true })

  test('a claim enqueues the started comment, posted once however often the job runs', async ({
    assert,
  }) => {
    github.fake.issue(EXAMPLE_REPO, { number: 42, labels: ['agent-ready'] })
    const { run } = await claimIssueItem()

    const jobs = await jobsOf('report_run_to_github')
    assert.deepEqual(
      jobs.map((job) => [job.key, job.payload]),
      [[`report_run:${run.id}:started`, { runId: run.id, moment: 'started' }]]
    )

    await reportRunToGitHub(jobs[0].payload, attempt(1))
    await reportRunToGitHub(jobs[0].payload, attempt(2)) // a retry after a crash past the POST
    const comments = github.fake.comments(EXAMPLE_REPO, 42)
    assert.lengthOf(comments, 1)
    assert.include(comments[0].body, '`claude-1` started working on this issue')
    assert.include(comments[0].body, `<!-- gatehouse:run:${run.id}:started -->`)
    assert.lengthOf(github.fake.requestsTo('POST', /\/issues\/42\/comments$/), 1)
  })

  test('a comment GitHub stored but answered 502 to is not posted again (no blind retry of the POST)', async ({
    assert,
  }) => {
    github.fake.issue(EXAMPLE_REPO, { number: 42, labels: ['agent-ready'] })
    const { run } = await claimIssueItem()
    github.fake.fail(/\/issues\/42\/comments$/, 502, { method: 'POST', afterApplying: true })

    await assert.rejects(
      () => reportRunToGitHub({ runId: run.id, moment: 'started' }, attempt(1)),
      /GitHub answered 502/
    )
    assert.equal(
      await GitHubReport.post(run.id, 'started', { number: 2, max: 8 }),
      'already_posted'
    )

    assert.lengthOf(github.fake.comments(EXAMPLE_REPO, 42), 1)
    assert.lengthOf(github.fake.requestsTo('POST', /\/issues\/42\/comments$/), 1)
  })

  test('the finished comment carries the PR link and the gate verdicts', async ({ assert }) => {
    github.fake.issue(EXAMPLE_REPO, { number: 42, labels: ['agent-ready'] })
    const { run, agent } = await claimIssueItem({ gates: { tests_reported: true } })
    await clearJobs()

    await RunLifecycle.complete(run, agent, {
      outcome: 'succeeded',
      prUrl: `https://github.com/${EXAMPLE_REPO}/pull/7`,
      tests: { passed: 12, failed: 0 },
    })

    const [job] = await jobsOf('report_run_to_github')
    assert.deepEqual(job.payload, { runId: run.id, moment: 'finished' })
    assert.equal(await GitHubReport.post(run.id, 'finished', { number: 1, max: 8 }), 'posted')
    const [comment] = github.fake.comments(EXAMPLE_REPO, 42)
    assert.include(comment.body, 'finished: **accepted**')
    assert.include(comment.body, `Pull request: https://github.com/${EXAMPLE_REPO}/pull/7`)
    assert.include(comment.body, '| tests_reported | passed | 12 passed, 0 failed, 0 skipped |')
  })

  test('a failed run is reported too; nothing is reported when the policy is off or the item has no issue', async ({
    assert,
  }) => {
    const { run, agent } = await claimIssueItem()
    await RunLifecycle.complete(run, agent, { outcome: 'failed', error: 'tests do not compile' })
    const jobs = await jobsOf('report_run_to_github')
    assert.deepEqual(
      jobs.map((job) => job.payload.moment),
      ['started', 'finished']
    )

    await emptyWorld()
    await clearJobs()
    const quiet = await claimIssueItem({ report: false })
    await RunLifecycle.complete(quiet.run, quiet.agent, { outcome: 'failed' })
    assert.lengthOf(await jobsOf('report_run_to_github'), 0)

    const manual = await WorkItemFactory.merge({
      projectId: quiet.project.id,
      externalRef: null,
    }).create()
    await manual.merge({ status: 'pending' }).save()
    await Policy.query().where('projectId', quiet.project.id).delete()
    await ClaimService.claim(await AgentFactory.create())
    assert.lengthOf(await jobsOf('report_run_to_github'), 0)
  })

  test('a 500 makes the job throw (the queue retries) until the last attempt, which gives up with an audit event', async ({
    assert,
  }) => {
    github.fake.issue(EXAMPLE_REPO, { number: 42 })
    const { run } = await claimIssueItem()
    github.fake.fail(/\/issues\/42\/comments$/, 500, { times: 100 })

    await assert.rejects(
      () => reportRunToGitHub({ runId: run.id, moment: 'started' }, attempt(1)),
      /GitHub answered 500/
    )
    assert.lengthOf(await AuditEvent.query().where('action', 'github.comment_failed'), 0)

    await reportRunToGitHub({ runId: run.id, moment: 'started' }, attempt(8))
    const gaveUp = await AuditEvent.findByOrFail('action', 'github.comment_failed')
    assert.include(gaveUp.details, {
      moment: 'started',
      issue: 42,
      kind: 'unreachable',
      attempts: 8,
    })
  })

  test('a rate limit is retried by the queue; a rejected token or a missing issue gives up at once', async ({
    assert,
  }) => {
    github.fake.issue(EXAMPLE_REPO, { number: 1 })
    const { run, project } = await claimIssueItem()

    github.fake.rateLimit(/\/comments$/, { status: 403 })
    await assert.rejects(
      () => GitHubReport.post(run.id, 'started', { number: 1, max: 8 }),
      /rate limit/
    )

    assert.equal(
      await GitHubReport.post(run.id, 'started', { number: 2, max: 8 }),
      'gave_up',
      'issue 42 does not exist'
    )
    github.fake.fail(/\/comments$/, 401)
    assert.equal(await GitHubReport.post(run.id, 'started', { number: 3, max: 8 }), 'gave_up')

    const gaveUp = await AuditEvent.query().where('action', 'github.comment_failed').orderBy('id')
    assert.deepEqual(
      gaveUp.map((event) => event.details.kind),
      ['not_found', 'token_rejected']
    )
    await project.refresh()
    assert.equal(project.githubStatus, 'token_rejected')
  })
})
