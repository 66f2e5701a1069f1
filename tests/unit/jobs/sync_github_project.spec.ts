import { test } from '@japa/runner'
import syncGitHubProject from '#jobs/sync_github_project'
import AuditEvent from '#models/audit_event'
import WorkItem from '#models/work_item'
import { fakeGitHubGroup, githubProject, EXAMPLE_REPO } from '#tests/support/github_world'

async function auditEventCount() {
  const [row] = await AuditEvent.query().count('* as n')
  return Number(row.$extras.n)
}

test.group('sync_github_project job', (group) => {
  const github = fakeGitHubGroup(group)

  test("takes the project's labelled issues in as items and reads its default branch; a second run changes nothing", async ({
    assert,
  }) => {
    const project = await githubProject()
    github.fake.issue(EXAMPLE_REPO, { number: 7, title: 'Fix the cart', labels: ['agent-ready'] })
    github.fake.issue(EXAMPLE_REPO, { number: 8, title: 'Not for agents', labels: ['question'] })
    github.fake.status(EXAMPLE_REPO, 'main', 'ci', 'success')

    await syncGitHubProject({ projectId: project.id })
    const eventsAfterFirstRun = await auditEventCount()
    await syncGitHubProject({ projectId: project.id })

    const items = await WorkItem.query().where('projectId', project.id)
    assert.deepEqual(
      items.map((item) => [item.externalRef, item.title, item.status]),
      [['github:issue:7', 'Fix the cart', 'pending']]
    )
    await project.refresh()
    assert.equal(project.defaultBranchStatus, 'passing')
    assert.equal(
      await auditEventCount(),
      eventsAfterFirstRun,
      'the second run writes no audit event'
    )
  })

  test('a rejected token ends the job without throwing and is recorded on the project; an unknown project is a no-op', async ({
    assert,
  }) => {
    const project = await githubProject({ token: 'ghp_revoked' })

    await syncGitHubProject({ projectId: project.id })
    await syncGitHubProject({ projectId: project.id + 1000 })

    await project.refresh()
    assert.equal(project.githubStatus, 'token_rejected')
    assert.lengthOf(await WorkItem.all(), 0)
  })
})
