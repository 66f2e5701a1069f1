import { test } from '@japa/runner'
import { DateTime } from 'luxon'
import db from '@adonisjs/lucid/services/db'
import type Project from '#models/project'
import type { GatesConfig } from '#models/project'
import AuditEvent from '#models/audit_event'
import Policy from '#models/policy'
import RunLifecycle from '#services/runs/run_lifecycle'
import ClaimService from '#services/claims/claim_service'
import DefaultBranchStatus from '#services/github/default_branch_status'
import processGitHubWebhook from '#jobs/process_github_webhook'
import evaluateGates from '#jobs/evaluate_gates'
import { AgentFactory } from '#database/factories/agent_factory'
import { WorkItemFactory } from '#database/factories/work_item_factory'
import { claimedRun } from '#tests/support/claimed_run'
import { webhookExample } from '#tests/support/fake_github/recorded_shapes'
import {
  clearJobs,
  deliver,
  githubProject,
  jobsOf,
  fakeGitHubGroup,
  EXAMPLE_REPO,
} from '#tests/support/github_world'

const SHA = 'ec26c3e57ca3a959ca5aad62de7213c562f8c821'
const PR = 2
const BRANCH = 'changes'

/** A run of a GitHub project that its agent reports as succeeded on SHA / PR. */
async function succeededRun(
  gates: GatesConfig,
  options: { e2e?: boolean; timeoutMinutes?: number } = {}
) {
  const project = await githubProject({ gatesConfig: gates, e2ERequired: options.e2e ?? false })
  if (options.timeoutMinutes)
    await Policy.create({
      projectId: project.id,
      key: 'ci_timeout_minutes',
      value: options.timeoutMinutes,
    })
  // Started before the pull request was opened (each test opens it in its setup).
  const world = await claimedRun({ project, startedAt: DateTime.now().minus({ minutes: 5 }) })
  await RunLifecycle.complete(world.run, world.agent, {
    outcome: 'succeeded',
    headSha: SHA,
    prNumber: PR,
    branchName: BRANCH,
    prUrl: `https://github.com/${EXAMPLE_REPO}/pull/${PR}`,
  })
  return world
}

/** The verdicts of the gates under test (the pull_request and protected_paths gates pass here). */
const verdicts = (run: { gateResults: { gate: string; verdict: string; reason: string }[] }) =>
  run.gateResults
    .filter((verdict) => !['pull_request', 'protected_paths'].includes(verdict.gate))
    .map((verdict) => [
      verdict.gate,
      verdict.verdict,
      verdict.reason.replace(/ \(on ec26c3e\)$/, '').replace(/ approvals of ec26c3e/, ' approvals'),
    ])

/** What the worker does with the queue: deliveries first, then the re-evaluations they asked for. */
async function runQueuedJobs() {
  for (const job of await jobsOf('process_github_webhook')) await processGitHubWebhook(job.payload)
  for (const job of await jobsOf('evaluate_gates')) await evaluateGates(job.payload)
  await clearJobs()
}

test.group('GitHub accept gates', (group) => {
  const github = fakeGitHubGroup(group, { jobs: true })
  // The run's pull request, opened during the run, on the head the agent reports.
  group.each.setup(() => {
    github.fake.pull(EXAMPLE_REPO, { number: PR, head: BRANCH, sha: SHA })
  })

  test('required checks: pending while CI runs, passed once it succeeds (via a check_run webhook), item completed', async ({
    assert,
  }) => {
    github.fake.checkRun(EXAMPLE_REPO, SHA, 'ci', 'in_progress')
    github.fake.status(EXAMPLE_REPO, SHA, 'e2e', 'pending')
    const { run, item } = await succeededRun({ required_checks: ['ci'] }, { e2e: true })

    assert.equal(run.gateStatus, 'pending')
    assert.deepEqual(verdicts(run), [['required_checks', 'pending', 'checking GitHub']])
    const [scheduled] = await jobsOf('evaluate_gates')
    assert.isAtMost(
      scheduled.run_at.getTime(),
      Date.now(),
      'facts are fetched at once, outside the completion'
    )

    await runQueuedJobs()
    await run.refresh()
    assert.deepEqual(verdicts(run), [
      ['required_checks', 'pending', 'ci: check run in_progress; e2e: status pending'],
    ])
    const [deadline] = await jobsOf('evaluate_gates')
    assert.isUndefined(deadline, 'the re-evaluation job was consumed')

    github.fake.checkRun(EXAMPLE_REPO, SHA, 'ci', 'completed', 'success')
    github.fake.status(EXAMPLE_REPO, SHA, 'e2e', 'success')
    const checkRun = webhookExample('check_run', 'completed')
    const response = await deliver('check_run', checkRun)
    assert.equal(response.status, 202)
    await runQueuedJobs()

    await run.refresh()
    await item.refresh()
    assert.equal(run.gateStatus, 'passed')
    assert.deepEqual(verdicts(run), [
      ['required_checks', 'passed', 'ci: check run success; e2e: status success'],
    ])
    assert.equal(item.status, 'completed')
    const checked = github.fake.requestsTo(
      'GET',
      new RegExp(`/commits/${SHA}/(check-runs|statuses)$`)
    )
    assert.isAbove(checked.length, 0)
  })

  test('a failing required check rejects the run and the item retries', async ({ assert }) => {
    github.fake.checkRun(EXAMPLE_REPO, SHA, 'ci', 'completed', 'failure')
    const { run, item } = await succeededRun({ required_checks: ['ci', 'lint'] })

    await RunLifecycle.evaluateGates(run.id)

    await run.refresh()
    await item.refresh()
    assert.equal(run.gateStatus, 'failed')
    assert.deepEqual(verdicts(run), [
      ['required_checks', 'failed', 'ci: check run failure; lint: not reported yet'],
    ])
    assert.equal(item.status, 'pending')
    assert.isTrue(item.runAfter > DateTime.now(), 'after a backoff')
    const retry = await AuditEvent.findByOrFail('action', 'work_item.retry_scheduled')
    assert.include(
      retry.details.reason as string,
      'required_checks [checks_failed]: ci: check run failure'
    )
  })

  test('a run without a pull request fails the GitHub gates at once (pr_missing)', async ({
    assert,
  }) => {
    const project = await githubProject({ gatesConfig: { required_checks: ['ci'] } })
    const { run, agent, item } = await claimedRun({ project })
    await RunLifecycle.complete(run, agent, { outcome: 'succeeded', headSha: SHA })
    await RunLifecycle.evaluateGates(run.id)
    await run.refresh()
    await item.refresh()
    assert.deepEqual(
      run.gateResults.map((verdict) => [verdict.gate, verdict.verdict, verdict.code]),
      [
        ['pull_request', 'failed', 'pr_missing'],
        ['required_checks', 'failed', 'pr_missing'],
        ['protected_paths', 'passed', undefined],
      ]
    )
    assert.equal(item.status, 'pending')
  })

  test('required checks: neutral and skipped pass; the latest check run per name and the newest status per context count', async ({
    assert,
  }) => {
    github.fake.checkRun(EXAMPLE_REPO, SHA, 'lint', 'completed', 'neutral')
    github.fake.checkRun(EXAMPLE_REPO, SHA, 'docs', 'completed', 'skipped')
    github.fake.checkRun(EXAMPLE_REPO, SHA, 'ci', 'completed', 'failure')
    github.fake.checkRun(EXAMPLE_REPO, SHA, 'ci', 'completed', 'success') // re-run
    github.fake.status(EXAMPLE_REPO, SHA, 'deploy', 'failure')
    github.fake.status(EXAMPLE_REPO, SHA, 'deploy', 'success') // newer
    const { run } = await succeededRun({ required_checks: ['lint', 'docs', 'ci', 'deploy'] })

    await RunLifecycle.evaluateGates(run.id)

    await run.refresh()
    assert.deepEqual(verdicts(run), [
      [
        'required_checks',
        'passed',
        'lint: check run neutral; docs: check run skipped; ci: check run success; deploy: status success',
      ],
    ])
  })

  test('required checks: cancelled, timed_out and action_required check runs and an error status fail; e2e counts as required', async ({
    assert,
  }) => {
    github.fake.checkRun(EXAMPLE_REPO, SHA, 'ci', 'completed', 'success')
    github.fake.checkRun(EXAMPLE_REPO, SHA, 'ci', 'completed', 'cancelled')
    github.fake.checkRun(EXAMPLE_REPO, SHA, 'slow', 'completed', 'timed_out')
    github.fake.checkRun(EXAMPLE_REPO, SHA, 'gate', 'completed', 'action_required')
    github.fake.status(EXAMPLE_REPO, SHA, 'browser', 'error')
    const { run } = await succeededRun(
      { required_checks: ['ci', 'slow', 'gate'], e2e_check_name: 'browser' },
      { e2e: true }
    )

    await RunLifecycle.evaluateGates(run.id)

    await run.refresh()
    assert.deepEqual(verdicts(run), [
      [
        'required_checks',
        'failed',
        'ci: check run cancelled; slow: check run timed_out; gate: check run action_required; browser: status error',
      ],
    ])
  })

  test('min_approvals: a dismissed approval does not count; other reviewers still do', async ({
    assert,
  }) => {
    const dismissed = github.fake.review(EXAMPLE_REPO, PR, 'carol', 'APPROVED')
    dismissed.state = 'DISMISSED'
    github.fake.review(EXAMPLE_REPO, PR, 'dave', 'APPROVED')
    const { run } = await succeededRun({ min_approvals: 2 })

    await RunLifecycle.evaluateGates(run.id)

    await run.refresh()
    assert.deepEqual(verdicts(run), [['min_approvals', 'pending', '1 of 2 approvals (dave)']])
  })

  test('named required checks are not skipped when the project names no GitHub token: they wait, then time out', async ({
    assert,
  }) => {
    const project = await githubProject({ gatesConfig: { required_checks: ['ci'] } })
    await project.merge({ githubTokenSecretName: null }).save()
    const { run, agent, item } = await claimedRun({ project })
    await RunLifecycle.complete(run, agent, { outcome: 'succeeded', headSha: SHA, prNumber: PR })

    await RunLifecycle.evaluateGates(run.id)

    await run.refresh()
    await item.refresh()
    assert.equal(run.gateStatus, 'pending')
    assert.equal(verdicts(run)[0][0], 'required_checks')
    assert.include(verdicts(run)[0][2], 'names no GitHub token')
    assert.equal(item.status, 'verifying')
  })

  test('min_approvals: pending without approval, passed after a pull_request_review approved event', async ({
    assert,
  }) => {
    github.fake.review(EXAMPLE_REPO, PR, 'alice', 'COMMENTED')
    github.fake.review(EXAMPLE_REPO, PR, 'bob', 'APPROVED')
    github.fake.review(EXAMPLE_REPO, PR, 'bob', 'CHANGES_REQUESTED')
    const { run, item } = await succeededRun({ min_approvals: 1 })

    await runQueuedJobs()
    await run.refresh()
    assert.deepEqual(
      verdicts(run),
      [['min_approvals', 'pending', '0 of 1 approvals']],
      'a later change request undoes an approval'
    )

    github.fake.review(EXAMPLE_REPO, PR, 'alice', 'APPROVED')
    github.fake.review(EXAMPLE_REPO, PR, 'alice', 'COMMENTED')
    const approved = webhookExample('pull_request_review', 'submitted')
    approved.review.state = 'approved'
    assert.equal(approved.pull_request.number, PR)
    await deliver('pull_request_review', approved)
    await runQueuedJobs()

    await run.refresh()
    await item.refresh()
    assert.deepEqual(verdicts(run), [['min_approvals', 'passed', '1 of 1 approvals (alice)']])
    assert.equal(item.status, 'completed')
  })

  test('a gate still pending after ci_timeout_minutes fails as timed out', async ({ assert }) => {
    github.fake.checkRun(EXAMPLE_REPO, SHA, 'ci', 'queued')
    const { run, item } = await succeededRun({ required_checks: ['ci'] }, { timeoutMinutes: 30 })
    await RunLifecycle.evaluateGates(run.id)
    await run.refresh()
    assert.equal(run.gateStatus, 'pending')

    await db
      .from('runs')
      .where('id', run.id)
      .update({ finished_at: DateTime.now().minus({ minutes: 31 }).toJSDate() })
    await RunLifecycle.recheckPendingGates()

    await run.refresh()
    await item.refresh()
    assert.deepEqual(verdicts(run), [['required_checks', 'failed', 'timed out']])
    assert.equal(item.status, 'pending')
  })

  test('GitHub refusing (401, 500, rate limit) leaves gates pending, records the project, never throws', async ({
    assert,
  }) => {
    github.fake.checkRun(EXAMPLE_REPO, SHA, 'ci', 'queued')
    const { run, project } = await succeededRun({ required_checks: ['ci'] })

    github.fake.fail(/check-runs$/, 401)
    assert.equal(await RunLifecycle.evaluateGates(run.id), 'pending')
    await run.refresh()
    assert.match(
      run.gateResults[0].reason,
      /GitHub facts unavailable: GitHub rejected the token \(401\)/
    )
    await project.refresh()
    assert.equal(project.githubStatus, 'token_rejected')

    github.fake.fail(/check-runs$/, 500, { times: 10 })
    assert.equal(await RunLifecycle.evaluateGates(run.id), 'pending')
    await run.refresh()
    assert.match(run.gateResults[0].reason, /GitHub facts unavailable: GitHub answered 500/)

    github.fake.reset()
    github.fake.pull(EXAMPLE_REPO, { number: PR, head: BRANCH, sha: SHA })
    github.fake.checkRun(EXAMPLE_REPO, SHA, 'ci', 'queued')
    github.fake.rateLimit(/check-runs$/, { status: 429 })
    assert.equal(await RunLifecycle.evaluateGates(run.id), 'pending')
    await run.refresh()
    assert.match(run.gateResults[0].reason, /rate limit/)
    const auditEvents = await AuditEvent.query().whereLike('action', 'project.github_%')
    assert.isAbove(auditEvents.length, 0)
  })
})

test.group('default_branch_green from GitHub', (group) => {
  const github = fakeGitHubGroup(group, { jobs: true })

  async function claimWorld(project: Project) {
    const agent = await AgentFactory.merge({
      capabilities: { work_types: ['*'], tags: [] },
      maxConcurrency: 5,
    }).create()
    const code = await WorkItemFactory.merge({
      projectId: project.id,
      workType: 'code',
      priority: 100,
    }).create()
    const fixCi = await WorkItemFactory.merge({
      projectId: project.id,
      workType: 'fix_ci',
      priority: 0,
    }).create()
    return { agent, code, fixCi }
  }

  test('a failing default branch closes claims except fix_ci; green again reopens them', async ({
    assert,
  }) => {
    const project = await githubProject({ gatesConfig: { default_branch_green: true } })
    const { agent, code, fixCi } = await claimWorld(project)
    github.fake.checkRun(EXAMPLE_REPO, 'main', 'ci', 'completed', 'success')
    github.fake.status(EXAMPLE_REPO, 'main', 'deploy', 'failure')

    assert.equal(await DefaultBranchStatus.refresh(project), 'failing')
    await project.refresh()
    assert.equal(project.defaultBranchStatus, 'failing')
    assert.isNotNull(project.defaultBranchStatusAt)
    const changed = await AuditEvent.findByOrFail('action', 'project.default_branch_status_changed')
    assert.deepEqual(changed.details, { branch: 'main', from: 'unknown', to: 'failing' })

    const first = await ClaimService.claim(agent)
    assert.equal(first.outcome, 'claimed')
    if (first.outcome === 'claimed')
      assert.equal(first.workItem.id, fixCi.id, 'only fix_ci while failing')
    const claimService = await ClaimService.claim(agent)
    assert.equal(claimService.outcome, 'none')

    github.fake.status(EXAMPLE_REPO, 'main', 'deploy', 'pending')
    assert.equal(
      await DefaultBranchStatus.refresh(project),
      'failing',
      'a running check keeps the last known state'
    )

    github.fake.status(EXAMPLE_REPO, 'main', 'deploy', 'success')
    assert.equal(await DefaultBranchStatus.refresh(project), 'passing')
    const second = await ClaimService.claim(agent)
    assert.equal(second.outcome, 'claimed')
    if (second.outcome === 'claimed') assert.equal(second.workItem.id, code.id)
  })

  test('the refresh job a default-branch webhook enqueues updates the state', async ({
    assert,
  }) => {
    const status = webhookExample('status')
    const project = await githubProject({ gatesConfig: { default_branch_green: true } })
    await project.merge({ repoDefaultBranch: status.branches[0].name }).save()
    github.fake.status(EXAMPLE_REPO, status.branches[0].name, status.context, 'failure')

    await deliver('status', status)
    for (const job of await jobsOf('process_github_webhook'))
      await processGitHubWebhook(job.payload)
    const { default: refreshDefaultBranch } = await import('#jobs/refresh_default_branch')
    for (const job of await jobsOf('refresh_default_branch'))
      await refreshDefaultBranch(job.payload)

    await project.refresh()
    assert.equal(project.defaultBranchStatus, 'failing')
  })
})
