import { test } from '@japa/runner'
import ace from '@adonisjs/core/services/ace'
import db from '@adonisjs/lucid/services/db'
import WorkItem from '#models/work_item'
import AuditEvent from '#models/audit_event'
import Policy from '#models/policy'
import IssueIntake from '#services/github/issue_intake'
import GitHubSync from '#services/github/github_sync'
import ProjectsSync from '#commands/projects_sync'
import githubConfig from '#config/github'
import Integration from '#models/integration'
import GitHubClient, { resolveSecret } from '#services/github/github_client'
import { claimedRun } from '#tests/support/claimed_run'
import { githubProject, fakeGitHubGroup, EXAMPLE_REPO } from '#tests/support/github_world'

const items = (projectId: number) =>
  WorkItem.query().where('projectId', projectId).orderBy('externalRef')

test.group('GitHub issue intake', (group) => {
  const github = fakeGitHubGroup(group)

  test('open labelled issues become work items with priority, work type, payload and link', async ({
    assert,
  }) => {
    const project = await githubProject()
    github.fake.issue(EXAMPLE_REPO, {
      number: 1,
      title: 'Fix login',
      body: 'It breaks',
      labels: ['agent-ready', 'P0', 'type:bugfix'],
    })
    github.fake.issue(EXAMPLE_REPO, {
      number: 2,
      title: 'Write docs',
      labels: ['agent-ready', 'P1'],
    })
    github.fake.issue(EXAMPLE_REPO, { number: 3, title: 'Not for agents', labels: ['bug'] })
    github.fake.issue(EXAMPLE_REPO, {
      number: 4,
      title: 'A pull request',
      labels: ['agent-ready'],
      pullRequest: true,
    })
    github.fake.issue(EXAMPLE_REPO, {
      number: 5,
      title: 'Done already',
      labels: ['agent-ready'],
      state: 'closed',
    })

    const summary = await IssueIntake.sync(project)

    assert.include(summary, { created: 2, updated: 0, cancelled: 0, pages: 1 })
    const [first, second] = await items(project.id)
    assert.include(first.serialize(), {
      externalRef: 'github:issue:1',
      externalUrl: `https://github.com/${EXAMPLE_REPO}/issues/1`,
      title: 'Fix login',
      priority: 100,
      workType: 'bugfix',
      source: 'github',
      status: 'pending',
    })
    assert.deepEqual(first.payload, {
      issue_number: 1,
      title: 'Fix login',
      body: 'It breaks',
      labels: ['agent-ready', 'P0', 'type:bugfix'],
    })
    assert.include(second.serialize(), {
      externalRef: 'github:issue:2',
      priority: 50,
      workType: 'code',
    })
    assert.lengthOf(
      await items(project.id),
      2,
      'no item for the unlabelled issue, the pull request or the closed issue'
    )
    const listing = github.fake.requestsTo('GET', /\/issues$/)[0]
    assert.equal(listing.query.get('labels'), 'agent-ready')
    assert.equal(listing.query.get('state'), 'open')
    assert.lengthOf(await AuditEvent.query().where('action', 'work_item.created'), 2)
  })

  test('the intake label comes from the project policy', async ({ assert }) => {
    const project = await githubProject()
    await Policy.create({ projectId: project.id, key: 'intake_label', value: 'bot-please' })
    github.fake.issue(EXAMPLE_REPO, { number: 1, labels: ['agent-ready'] })
    github.fake.issue(EXAMPLE_REPO, { number: 2, labels: ['bot-please'] })

    await IssueIntake.sync(project)

    const projectItems = await items(project.id)
    assert.deepEqual(
      projectItems.map((item) => item.externalRef),
      ['github:issue:2']
    )
  })

  test('a re-run changes nothing; edits and priority labels update the item', async ({
    assert,
  }) => {
    const project = await githubProject()
    github.fake.issue(EXAMPLE_REPO, {
      number: 7,
      title: 'Old title',
      labels: ['agent-ready', 'P2'],
    })
    await IssueIntake.sync(project)
    const auditEvents = await AuditEvent.all()
    const auditCount = auditEvents.length

    const again = await IssueIntake.sync(project)
    assert.include(again, { created: 0, updated: 0, unchanged: 1 })
    assert.lengthOf(
      await AuditEvent.all(),
      auditCount,
      'an idempotent re-run writes no audit event'
    )

    github.fake.issue(EXAMPLE_REPO, {
      number: 7,
      title: 'New title',
      labels: ['agent-ready', 'P0', 'type:docs'],
    })
    const changed = await IssueIntake.sync(project)
    assert.include(changed, { updated: 1 })
    const [item] = await items(project.id)
    assert.include(item.serialize(), { title: 'New title', priority: 100, workType: 'docs' })
    const updated = await AuditEvent.findByOrFail('action', 'work_item.updated')
    assert.include(updated.details, { issue: 7, priority: 100 })
  })

  test('the same issue taken in concurrently (sync and webhooks at once) makes one item', async ({
    assert,
  }) => {
    const project = await githubProject()
    const issue = github.fake.issue(EXAMPLE_REPO, {
      number: 9,
      title: 'Race',
      labels: ['agent-ready', 'P1'],
    })

    const outcomes = await Promise.all(
      Array.from({ length: 16 }, () =>
        db.transaction((trx) => IssueIntake.applyWithin(trx, project, issue, 'agent-ready'))
      )
    )

    assert.deepEqual(
      outcomes.filter((outcome) => outcome === 'created'),
      ['created']
    )
    assert.deepEqual([...new Set(outcomes)].sort(), ['created', 'unchanged'])
    assert.lengthOf(await items(project.id), 1)
    assert.lengthOf(await AuditEvent.query().where('action', 'work_item.created'), 1)
  })

  test('a closed issue cancels its unfinished item, and a running run is asked to stop', async ({
    assert,
  }) => {
    const project = await githubProject()
    github.fake.issue(EXAMPLE_REPO, { number: 1, labels: ['agent-ready'] })
    github.fake.issue(EXAMPLE_REPO, { number: 2, labels: ['agent-ready'] })
    await IssueIntake.sync(project)
    const [first, second] = await items(project.id)
    const { run } = await claimedRun({ project })
    await WorkItem.query().where('id', second.id).update({ status: 'in_progress' })
    await run.merge({ workItemId: second.id }).save()

    github.fake.issue(EXAMPLE_REPO, { number: 1, labels: ['agent-ready'], state: 'closed' })
    github.fake.issue(EXAMPLE_REPO, { number: 2, labels: ['agent-ready'], state: 'closed' })
    const summary = await IssueIntake.sync(project)

    assert.equal(summary.cancelled, 2)
    await first.refresh()
    await second.refresh()
    await run.refresh()
    assert.equal(first.status, 'cancelled')
    assert.equal(second.status, 'cancelled')
    assert.isNotNull(run.cancelRequestedAt, 'the agent learns it on its next heartbeat')
    const cancelled = await AuditEvent.query().where('action', 'work_item.cancelled').orderBy('id')
    assert.sameDeepMembers(
      cancelled.map((event) => [event.actorType, event.details.reason]),
      [
        ['system', 'GitHub issue #1 is closed'],
        ['system', 'GitHub issue #2 is closed'],
      ]
    )
  })

  test('an item whose issue merely lost its label stays as it is', async ({ assert }) => {
    const project = await githubProject()
    github.fake.issue(EXAMPLE_REPO, { number: 1, labels: ['agent-ready'] })
    await IssueIntake.sync(project)
    github.fake.issue(EXAMPLE_REPO, { number: 1, labels: [] })

    const summary = await IssueIntake.sync(project)

    assert.equal(summary.cancelled, 0)
    const projectItems = await items(project.id)
    assert.equal(projectItems[0].status, 'pending')
  })

  test('a deleted issue (GitHub answers 410 Gone) cancels its item without failing the sync', async ({
    assert,
  }) => {
    const project = await githubProject()
    github.fake.issue(EXAMPLE_REPO, { number: 1, labels: ['agent-ready'] })
    await IssueIntake.sync(project)
    github.fake.issue(EXAMPLE_REPO, { number: 1, labels: [] })
    github.fake.fail(/\/issues\/1$/, 410, {
      method: 'GET',
      body: {
        message: 'This issue was deleted',
        documentation_url: 'https://docs.github.com/rest/issues/issues#get-an-issue',
      },
    })

    const summary = await IssueIntake.sync(project)

    assert.equal(summary.cancelled, 1)
    const projectItems = await items(project.id)
    assert.equal(projectItems[0].status, 'cancelled')
    await project.refresh()
    assert.equal(
      project.githubStatus,
      'connected',
      'a deleted issue says nothing about the connection'
    )
  })

  test('a repository GitHub does not show to the token (404) is recorded on the project as a broken connection', async ({
    assert,
  }) => {
    const project = await githubProject({ repoFullName: 'acme/not-there' })

    const result = await GitHubSync.syncProject(project)

    assert.isFalse(result.ok)
    await project.refresh()
    assert.equal(project.githubStatus, 'token_rejected')
    assert.include(project.githubStatusMessage!, 'acme/not-there')
    const [event] = await AuditEvent.query().where('action', 'project.github_token_rejected')
    assert.equal(event.projectId, project.id)
  })

  test('several pages of issues are all taken in', async ({ assert }) => {
    const project = await githubProject()
    for (let number = 1; number <= 230; number++) {
      github.fake.issue(EXAMPLE_REPO, {
        number,
        labels: ['agent-ready'],
        pullRequest: number % 10 === 0,
      })
    }
    const progress: string[] = []

    const summary = await IssueIntake.sync(project, ({ page, lastPage, issues }) =>
      progress.push(`${page}/${lastPage}:${issues}`)
    )

    assert.include(summary, { created: 207, pages: 3 })
    assert.lengthOf(await items(project.id), 207)
    assert.deepEqual(progress, ['1/3:90', '2/3:180', '3/3:207'])
    assert.deepEqual(
      github.fake.requestsTo('GET', /\/issues$/).map((request) => request.query.get('page')),
      [null, '2', '3']
    )
  })

  test('a rejected token is recorded on the project and audited once, without throwing', async ({
    assert,
  }) => {
    const project = await githubProject({ token: 'ghp_revoked' })
    github.fake.issue(EXAMPLE_REPO, { number: 1, labels: ['agent-ready'] })

    const first = await GitHubSync.syncProject(project)
    const second = await GitHubSync.syncProject(project)

    assert.isFalse(first.ok)
    assert.isFalse(second.ok)
    await project.refresh()
    assert.equal(project.githubStatus, 'token_rejected')
    assert.match(project.githubStatusMessage!, /401/)
    assert.isNotNull(project.githubCheckedAt)
    assert.lengthOf(await AuditEvent.query().where('action', 'project.github_token_rejected'), 1)
    assert.lengthOf(await items(project.id), 0)
  })

  test('one Octokit per project, replaced when its token changes', async ({ assert }) => {
    const project = await githubProject()
    const other = await githubProject()
    const first = await GitHubClient.forProject(project)
    const again = await GitHubClient.forProject(project)
    assert.strictEqual(again.octokit, first.octokit)
    const forOther = await GitHubClient.forProject(other)
    assert.notStrictEqual(forOther.octokit, first.octokit)

    const integration = await Integration.findByOrFail({ projectId: project.id, kind: 'github' })
    await integration
      .merge({ value: Integration.seal('github', integration.name, 'ghp_rotated') })
      .save()
    const rotated = await GitHubClient.forProject(project)
    assert.notStrictEqual(rotated.octokit, first.octokit)
  })

  test('a missing token is recorded; the environment variable of that name is used when present', async ({
    assert,
  }) => {
    const project = await githubProject({ token: null })

    const missing = await GitHubSync.syncProject(project)
    assert.isFalse(missing.ok)
    await project.refresh()
    assert.equal(project.githubStatus, 'token_missing')

    github.fake.issue(EXAMPLE_REPO, { number: 1, labels: ['agent-ready'] })
    process.env.GITHUB_TOKEN_ACME = [...github.fake.tokens][0]
    try {
      const found = await GitHubSync.syncProject(project)
      assert.isTrue(found.ok)
    } finally {
      delete process.env.GITHUB_TOKEN_ACME
    }
    await project.refresh()
    assert.equal(project.githubStatus, 'connected')
    assert.lengthOf(await items(project.id), 1)
    const auditEvents = await AuditEvent.query()
      .where('projectId', project.id)
      .whereLike('action', 'project.github_%')
      .orderBy('id')
    assert.deepEqual(
      auditEvents.map((event) => event.action),
      ['project.github_token_missing', 'project.github_connected']
    )
  })

  test("the environment never serves Gatehouse's own configuration as a project's secret", async ({
    assert,
  }) => {
    const project = await githubProject({ token: null })
    // Set directly in the database: the project form refuses the name.
    await project.merge({ githubTokenSecretName: 'APP_KEY' }).save()
    assert.isString(process.env.APP_KEY)

    assert.isNull(await resolveSecret(project, 'github', 'APP_KEY'))
    const sync = await GitHubSync.syncProject(project)
    assert.isFalse(sync.ok)
    assert.lengthOf(github.fake.requests, 0, 'nothing was sent to GitHub')
  })

  test('a 500 is retried by the client; a persistent one leaves the project unreachable', async ({
    assert,
  }) => {
    const project = await githubProject()
    github.fake.issue(EXAMPLE_REPO, { number: 1, labels: ['agent-ready'] })
    github.fake.fail(/\/issues$/, 502, { times: 1 })

    const recovered = await GitHubSync.syncProject(project)
    assert.isTrue(recovered.ok)
    assert.lengthOf(github.fake.requestsTo('GET', /\/issues$/), 2, 'one failure, one retry')

    github.fake.fail(/\/issues$/, 500, { times: 10 })
    const failed = await GitHubSync.syncProject(project)
    assert.isFalse(failed.ok)
    if (!failed.ok) assert.equal(failed.failure.kind, 'unreachable')
    await project.refresh()
    assert.equal(project.githubStatus, 'unreachable')
  })

  test('a GitHub that does not answer is abandoned after the request timeout', async ({
    assert,
  }) => {
    const project = await githubProject()
    github.fake.hang(/\/issues$/, 10)
    const saved = githubConfig.requestTimeoutMs
    githubConfig.requestTimeoutMs = 200
    try {
      const started = Date.now()
      const result = await GitHubSync.syncProject(project)
      assert.isBelow(Date.now() - started, 5000)
      assert.isFalse(result.ok)
      if (!result.ok) assert.equal(result.failure.kind, 'unreachable')
    } finally {
      githubConfig.requestTimeoutMs = saved
    }
  })

  test('a rate limit (403 or 429 with x-ratelimit-remaining 0) fails fast with its reset time', async ({
    assert,
  }) => {
    const project = await githubProject()
    for (const status of [403, 429] as const) {
      github.fake.rateLimit(/\/issues$/, { status, resetInSeconds: 3600 })
      const started = Date.now()
      const result = await GitHubSync.syncProject(project)
      assert.isBelow(Date.now() - started, 2000, 'a limit resetting in an hour is not waited for')
      assert.isFalse(result.ok)
      if (!result.ok) {
        assert.equal(result.failure.kind, 'rate_limited')
        assert.isTrue(result.failure.isTransient)
        assert.isAbove(result.failure.retryAt!.toMillis(), Date.now() + 3500_000)
      }
    }
  })

  test('a rate limit resetting soon is waited out once', async ({ assert }) => {
    const project = await githubProject()
    github.fake.issue(EXAMPLE_REPO, { number: 1, labels: ['agent-ready'] })
    github.fake.rateLimit(/\/issues$/, { resetInSeconds: 0 })

    const result = await GitHubSync.syncProject(project)

    assert.isTrue(result.ok)
    assert.lengthOf(await items(project.id), 1)
  })
})

test.group('projects:sync', (group) => {
  const github = fakeGitHubGroup(group)
  group.each.setup(async () => {
    ace.ui.switchMode('raw')
    return () => ace.ui.switchMode('normal')
  })

  test('syncs a project by slug and reports what it did', async ({ assert }) => {
    const project = await githubProject()
    github.fake.issue(EXAMPLE_REPO, { number: 1, labels: ['agent-ready'] })

    const command = await ace.create(ProjectsSync, [project.slug])
    await command.exec()

    command.assertSucceeded()
    const output = command.ui.logger
      .getLogs()
      .map((log) => log.message)
      .join('\n')
    assert.include(output, '1 created, 0 updated, 0 unchanged, 0 cancelled; default branch unknown')
    assert.lengthOf(await items(project.id), 1)
  })

  test('fails with one line and a non-zero exit on an unknown slug or a rejected token', async ({
    assert,
  }) => {
    const unknown = await ace.create(ProjectsSync, ['nope'])
    await unknown.exec()
    unknown.assertFailed()
    unknown.assertLog('[ red(error) ] no project with slug "nope"', 'stderr')

    const project = await githubProject({ token: 'ghp_revoked' })
    const rejected = await ace.create(ProjectsSync, [project.slug])
    await rejected.exec()
    rejected.assertFailed()
    const errors = rejected.ui.logger
      .getLogs()
      .filter((log) => log.stream === 'stderr')
      .map((log) => log.message)
    assert.isTrue(
      errors.some((line) => line.includes(`${project.slug}: GitHub rejected the token (401)`))
    )
  })
})
