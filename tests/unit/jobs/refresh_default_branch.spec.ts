import { test } from '@japa/runner'
import refreshDefaultBranch from '#jobs/refresh_default_branch'
import AuditEvent from '#models/audit_event'
import { fakeGitHubGroup, githubProject, EXAMPLE_REPO } from '#tests/support/github_world'

test.group('refresh_default_branch job', (group) => {
  const github = fakeGitHubGroup(group)

  test('records a red default branch on the project once; a second run with nothing new changes nothing', async ({
    assert,
  }) => {
    const project = await githubProject({ gatesConfig: { default_branch_green: true } })
    github.fake.status(EXAMPLE_REPO, 'main', 'ci', 'failure')

    await refreshDefaultBranch({ projectId: project.id })
    await refreshDefaultBranch({ projectId: project.id })

    await project.refresh()
    assert.equal(project.defaultBranchStatus, 'failing')
    const changes = await AuditEvent.query().where(
      'action',
      'project.default_branch_status_changed'
    )
    assert.lengthOf(changes, 1)
    assert.deepEqual(changes[0].details, { branch: 'main', from: 'unknown', to: 'failing' })
  })

  test('a rejected token ends the job (no retry can fix it); a transient failure throws for the queue to retry', async ({
    assert,
  }) => {
    const rejected = await githubProject({ token: 'ghp_revoked' })
    await refreshDefaultBranch({ projectId: rejected.id })
    await rejected.refresh()
    assert.equal(rejected.defaultBranchStatus, 'unknown')

    const project = await githubProject()
    github.fake.fail(/\/commits\//, 502, { times: 50 })
    await assert.rejects(() => refreshDefaultBranch({ projectId: project.id }))
  })
})
