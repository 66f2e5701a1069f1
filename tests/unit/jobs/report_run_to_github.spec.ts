import { test } from '@japa/runner'
import reportRunToGitHub from '#jobs/report_run_to_github'
import { claimedRun } from '#tests/support/claimed_run'
import { fakeGitHubGroup, githubProject, EXAMPLE_REPO } from '#tests/support/github_world'

const attempt = { job: { attempts: 1, max_attempts: 8 } } as any

test.group('report_run_to_github job (queued by earlier versions)', (group) => {
  const github = fakeGitHubGroup(group)

  test("refreshes the run's item comment, however often it runs; a run deleted since is a no-op", async ({
    assert,
  }) => {
    github.fake.issue(EXAMPLE_REPO, { number: 42 })
    const project = await githubProject()
    const { run, item } = await claimedRun({ project })
    await item.merge({ source: 'github', externalRef: 'github:issue:42' }).save()

    await reportRunToGitHub({ runId: run.id, moment: 'started' }, attempt)
    await reportRunToGitHub({ runId: run.id, moment: 'finished' }, attempt)
    await reportRunToGitHub({ runId: run.id + 1000, moment: 'finished' }, attempt)

    const comments = github.fake.comments(EXAMPLE_REPO, 42)
    assert.lengthOf(comments, 1, 'one comment per item, not one per run moment')
    assert.include(comments[0].body, `work item #${item.id}: **in progress**`)
  })
})
