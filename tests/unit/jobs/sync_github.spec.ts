import { test } from '@japa/runner'
import testUtils from '@adonisjs/core/services/test_utils'
import syncGitHub from '#jobs/sync_github'
import { ProjectFactory } from '#database/factories/project_factory'
import { clearJobs, jobsOf } from '#tests/support/github_world'

test.group('sync_github job', (group) => {
  group.each.setup(async () => {
    const truncate = await testUtils.db().truncate()
    await clearJobs()
    return async () => {
      await truncate()
      await clearJobs()
    }
  })

  test('queues one sync per project connected to GitHub, active or paused; a second tick queues no duplicate', async ({
    assert,
  }) => {
    const active = await ProjectFactory.merge({ githubTokenSecretName: 'GH_ACTIVE' }).create()
    const paused = await ProjectFactory.apply('paused')
      .merge({ githubTokenSecretName: 'GH_PAUSED' })
      .create()
    await ProjectFactory.apply('draft').merge({ githubTokenSecretName: 'GH_DRAFT' }).create()
    await ProjectFactory.merge({ githubTokenSecretName: null }).create()

    await syncGitHub()
    await syncGitHub()

    const jobs = await jobsOf('sync_github_project')
    assert.deepEqual(
      jobs.map((job) => job.payload.projectId),
      [active.id, paused.id]
    )
    assert.deepEqual(
      jobs.map((job) => job.max_attempts),
      [1, 1],
      'a failed sync waits for the next tick instead of retrying'
    )
  })
})
