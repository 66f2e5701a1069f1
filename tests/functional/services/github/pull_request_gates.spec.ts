import { test } from '@japa/runner'
import { DateTime } from 'luxon'
import AuditEvent from '#models/audit_event'
import Policy from '#models/policy'
import type { GatesConfig } from '#models/project'
import type { CompletionReport } from '#services/runs/run_lifecycle'
import RunLifecycle from '#services/runs/run_lifecycle'
import { AgentFactory } from '#database/factories/agent_factory'
import { UserFactory } from '#database/factories/user_factory'
import { claimedRun } from '#tests/support/claimed_run'
import { asUser } from '#tests/support/admin_pages'
import {
  githubProject,
  fakeGitHubGroup,
  runGitHubJobs,
  EXAMPLE_REPO,
} from '#tests/support/github_world'

const HEAD = 'a'.repeat(40)
const OLDER = 'b'.repeat(40)
const BRANCH = 'agent/issue-42'

/**
 * A run of an item taken in from issue #42, started five minutes ago, reported as succeeded;
 * then judged on what the fake GitHub says (the evaluation job, run directly).
 */
async function judged(
  report: Partial<CompletionReport>,
  options: { gates?: GatesConfig; githubLogin?: string; protectedPaths?: string[] } = {}
) {
  const project = await githubProject({ gatesConfig: options.gates ?? {} })
  if (options.protectedPaths)
    await Policy.create({
      projectId: project.id,
      key: 'protected_paths',
      value: options.protectedPaths,
    })
  const agent = await AgentFactory.merge({ githubLogin: options.githubLogin ?? null }).create()
  const world = await claimedRun({
    project,
    agent,
    startedAt: DateTime.now().minus({ minutes: 5 }),
  })
  await world.item.merge({ source: 'github', externalRef: 'github:issue:42' }).save()
  await RunLifecycle.complete(world.run, world.agent, {
    outcome: 'succeeded',
    prNumber: 7,
    branchName: BRANCH,
    headSha: HEAD,
    ...report,
  })
  await RunLifecycle.evaluateGates(world.run.id)
  await world.run.refresh()
  await world.item.refresh()
  return world
}

const verdictOf = (run: { gateResults: any[] }, gate: string) =>
  run.gateResults.find((verdict) => verdict.gate === gate)

test.group('Gates an agent cannot game', (group) => {
  const github = fakeGitHubGroup(group, { jobs: true })
  /** This item's honest pull request: #7 from the run's branch, naming the issue. */
  const honestPull = (overrides: Record<string, unknown> = {}) =>
    github.fake.pull(EXAMPLE_REPO, {
      number: 7,
      head: BRANCH,
      sha: HEAD,
      title: 'Fix the flaky test',
      body: 'Fixes #42',
      files: ['src/app.ts'],
      ...overrides,
    })

  test('the honest pull request passes the pull_request gate', async ({ assert }) => {
    honestPull()
    const { run, item } = await judged({})
    assert.deepInclude(verdictOf(run, 'pull_request'), {
      verdict: 'passed',
      reason: `#7 ${BRANCH} @ aaaaaaa belongs to this item`,
    })
    assert.equal(run.judgedHeadSha, HEAD)
    assert.equal(item.status, 'completed')
  })

  test('a PR from another repository is refused: wrong_repo', async ({ assert }) => {
    honestPull({ headRepo: 'mallory/Hello-World' })
    const fork = await judged({})
    assert.equal(verdictOf(fork.run, 'pull_request').code, 'wrong_repo')
    assert.include(verdictOf(fork.run, 'pull_request').reason, 'mallory/Hello-World')
    assert.equal(fork.item.status, 'pending')

    const elsewhere = await judged({ prUrl: 'https://github.com/mallory/other/pull/7' })
    assert.deepInclude(verdictOf(elsewhere.run, 'pull_request'), {
      verdict: 'failed',
      code: 'wrong_repo',
    })
  })

  test('a PR not linked to the item is refused: pr_not_linked (branch, issue reference)', async ({
    assert,
  }) => {
    honestPull({ body: 'Fixes #41', title: 'Something else (#420)' })
    const unrelated = await judged({})
    assert.deepInclude(verdictOf(unrelated.run, 'pull_request'), {
      verdict: 'failed',
      code: 'pr_not_linked',
      reason: 'pr_not_linked: neither its title nor its body references issue #42',
    })

    github.fake.reset()
    honestPull()
    const otherBranch = await judged({ branchName: 'agent/something-else' })
    assert.equal(verdictOf(otherBranch.run, 'pull_request').code, 'pr_not_linked')
    assert.include(
      verdictOf(otherBranch.run, 'pull_request').reason,
      `its head branch is ${BRANCH}, the run reported agent/something-else`
    )
  })

  test('a PR already used by another item is refused: pr_reused', async ({ assert }) => {
    honestPull()
    const first = await judged({})
    assert.equal(first.item.status, 'completed')

    const second = await judged({})
    assert.deepInclude(verdictOf(second.run, 'pull_request'), { code: 'pr_reused' })
    assert.include(
      verdictOf(second.run, 'pull_request').reason,
      `already backs work item #${first.item.id} (run #${first.run.id} accepted)`
    )
    assert.equal(second.run.gateStatus, 'failed')
  })

  test('a reported head_sha that is not the PR head is refused: stale_sha', async ({ assert }) => {
    honestPull()
    const { run } = await judged({ headSha: OLDER })
    assert.deepInclude(verdictOf(run, 'pull_request'), {
      verdict: 'failed',
      code: 'stale_sha',
      reason: "stale_sha: the reported head bbbbbbb is not the PR's head aaaaaaa",
    })
  })

  test('green checks on an older commit only: stale_sha when reported, and the head itself stays pending', async ({
    assert,
  }) => {
    honestPull()
    github.fake.checkRun(EXAMPLE_REPO, OLDER, 'ci', 'completed', 'success')
    const reported = await judged({ headSha: OLDER }, { gates: { required_checks: ['ci'] } })
    assert.equal(verdictOf(reported.run, 'pull_request').code, 'stale_sha')
    assert.deepInclude(verdictOf(reported.run, 'required_checks'), {
      verdict: 'pending',
      code: 'checks_pending',
      reason: 'ci: not reported yet (on aaaaaaa)',
    })

    const unreported = await judged({ headSha: null }, { gates: { required_checks: ['ci'] } })
    assert.equal(verdictOf(unreported.run, 'pull_request').verdict, 'passed')
    assert.equal(unreported.run.gateStatus, 'pending', 'never accepted on an older green commit')
    assert.equal(unreported.item.status, 'verifying')
  })

  test('an approval of an older commit does not count: stale_approval', async ({ assert }) => {
    honestPull()
    github.fake.review(EXAMPLE_REPO, 7, 'alice', 'APPROVED', OLDER)
    const { run, item } = await judged({}, { gates: { min_approvals: 1 } })
    assert.deepInclude(verdictOf(run, 'min_approvals'), {
      verdict: 'pending',
      code: 'stale_approval',
      reason: '0 of 1 approvals of aaaaaaa; stale approvals of older commits not counted: alice',
    })
    assert.equal(item.status, 'verifying')

    github.fake.review(EXAMPLE_REPO, 7, 'alice', 'APPROVED')
    await RunLifecycle.evaluateGates(run.id)
    await run.refresh()
    assert.equal(verdictOf(run, 'min_approvals').verdict, 'passed')
  })

  test("an approval by the agent's own GitHub login is refused: self_approval", async ({
    assert,
  }) => {
    honestPull()
    github.fake.review(EXAMPLE_REPO, 7, 'Gatehouse-Bot', 'APPROVED')
    const { run, item } = await judged(
      {},
      { gates: { min_approvals: 1 }, githubLogin: 'gatehouse-bot' }
    )
    assert.deepInclude(verdictOf(run, 'min_approvals'), {
      verdict: 'failed',
      code: 'self_approval',
    })
    assert.equal(item.status, 'pending')
    const failed = await AuditEvent.query()
      .where('action', 'gate.failed')
      .where('subjectId', run.id)
      .firstOrFail()
    assert.deepEqual(failed.details.codes, ['self_approval'])
  })

  test('a PR that does not exist, is closed, or targets another branch is refused', async ({
    assert,
  }) => {
    const missing = await judged({})
    assert.equal(verdictOf(missing.run, 'pull_request').code, 'pr_not_found')

    honestPull({ state: 'closed' })
    const closed = await judged({})
    assert.equal(verdictOf(closed.run, 'pull_request').code, 'pr_closed')

    github.fake.reset()
    honestPull({ base: 'release' })
    const base = await judged({})
    assert.equal(verdictOf(base.run, 'pull_request').code, 'wrong_base')

    github.fake.reset()
    honestPull({ merged: true })
    const merged = await judged({})
    assert.equal(verdictOf(merged.run, 'pull_request').verdict, 'passed', 'merged is fine')
  })

  test('a PR last updated before the run started is refused: pr_stale', async ({ assert }) => {
    honestPull({ createdAt: new Date(Date.now() - 86_400_000) })
    const { run } = await judged({})
    assert.equal(verdictOf(run, 'pull_request').code, 'pr_stale')
  })

  test('the refusal is shown on the run page with its code', async ({ client }) => {
    honestPull()
    const { run } = await judged({ headSha: OLDER })
    const viewer = await UserFactory.merge({ role: 'viewer' }).create()
    const page = await asUser(client, viewer, 'get', `/runs/${run.id}`)
    page.assertStatus(200)
    page.assertTextIncludes('<code class="reason-code">stale_sha</code>')
    page.assertTextIncludes('the reported head bbbbbbb is not the PR')
  })
})

test.group('Protected paths', (group) => {
  const github = fakeGitHubGroup(group, { jobs: true })

  test('a PR touching .github/workflows waits for a human review without a human_review gate, and passes once approved', async ({
    assert,
  }) => {
    github.fake.pull(EXAMPLE_REPO, {
      number: 7,
      head: BRANCH,
      sha: HEAD,
      body: 'Fixes #42',
      files: ['src/app.ts', '.github/workflows/ci.yml'],
    })
    const { run, item } = await judged({})
    assert.deepInclude(verdictOf(run, 'protected_paths'), {
      verdict: 'pending',
      code: 'protected_paths',
      reason: 'changes .github/workflows/ci.yml: waiting for a human review',
    })
    assert.equal(item.status, 'verifying')

    const reviewer = await UserFactory.apply('reviewer').create()
    await RunLifecycle.review(run, reviewer, 'approved')
    await runGitHubJobs()
    await run.refresh()
    await item.refresh()
    assert.deepInclude(verdictOf(run, 'protected_paths'), {
      verdict: 'passed',
      reason: 'changes .github/workflows/ci.yml: approved by a reviewer',
    })
    assert.equal(item.status, 'completed')
  })

  test('renames count, other globs apply, and an empty list turns the gate off', async ({
    assert,
  }) => {
    github.fake.pull(EXAMPLE_REPO, {
      number: 7,
      head: BRANCH,
      sha: HEAD,
      body: 'Fixes #42',
      files: [{ filename: 'ci-old.yml', previous_filename: '.github/actions/setup/action.yml' }],
    })
    const renamed = await judged({})
    assert.include(
      verdictOf(renamed.run, 'protected_paths').reason,
      'changes .github/actions/setup/action.yml'
    )

    const custom = await judged({}, { protectedPaths: ['**/*.yml'] })
    assert.include(verdictOf(custom.run, 'protected_paths').reason, 'changes ci-old.yml')

    const off = await judged({}, { protectedPaths: [] })
    assert.isUndefined(verdictOf(off.run, 'protected_paths'))
  })
})
