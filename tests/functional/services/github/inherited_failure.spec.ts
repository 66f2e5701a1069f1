import { test } from '@japa/runner'
import { DateTime } from 'luxon'
import Policy from '#models/policy'
import Project from '#models/project'
import WorkItem from '#models/work_item'
import RunLifecycle from '#services/runs/run_lifecycle'
import RunFeedback from '#services/runs/run_feedback'
import DefaultBranchStatus from '#services/github/default_branch_status'
import { claimedRun } from '#tests/support/claimed_run'
import { fakeGitHubGroup, githubProject, EXAMPLE_REPO } from '#tests/support/github_world'

const SHA = 'ec26c3e57ca3a959ca5aad62de7213c562f8c821'

test.group('Inherited failures and auto_fix_ci', (group) => {
  const github = fakeGitHubGroup(group, { jobs: true })

  async function redProject() {
    const project = await githubProject({ gatesConfig: { required_checks: ['ci'] } })
    github.fake.checkRun(EXAMPLE_REPO, 'main', 'ci', 'completed', 'failure')
    await DefaultBranchStatus.refresh(project)
    await project.refresh()
    ensure(project.defaultBranchStatus === 'failing')
    return project
  }

  test('a check failing on the PR and on the red default branch charges no attempt; the item waits until the branch is green', async ({
    assert,
  }) => {
    const project = await redProject()
    const { run, item, agent } = await claimedRun({ project, attempts: 2, maxAttempts: 2 })
    github.fake.checkRun(EXAMPLE_REPO, SHA, 'ci', 'completed', 'failure', {
      title: 'the same failure as main',
    })
    github.fake.pull(EXAMPLE_REPO, { number: 3, head: 'gatehouse/fix', sha: SHA })
    await RunLifecycle.complete(run, agent, {
      outcome: 'succeeded',
      branchName: 'gatehouse/fix',
      headSha: SHA,
      prNumber: 3,
    })
    assert.equal(await RunLifecycle.evaluateGates(run.id), 'failed')

    await item.refresh()
    await run.refresh()
    assert.equal(item.status, 'pending', 'not failed, although it was the last attempt')
    assert.equal(item.attempts, 1, 'the attempt was not charged')
    assert.isNotNull(item.waitsForGreenSince)
    assert.isAbove(item.runAfter.diffNow('hours').hours, 23, 'it waits for the branch')
    assert.isNull(item.affinityAgentId)
    assert.isTrue(run.feedback!.inherited_failure)
    assert.equal(RunFeedback.attemptOf(run).outcome, 'inherited_failure')

    github.fake.checkRun(EXAMPLE_REPO, 'main', 'ci', 'completed', 'success')
    await DefaultBranchStatus.refresh(project)
    await item.refresh()
    assert.isNull(item.waitsForGreenSince)
    assert.isAtMost(item.runAfter.toMillis(), DateTime.now().toMillis(), 'claimable again')
  })

  test('a check that fails only on the PR is the agent’s failure: charged as usual', async ({
    assert,
  }) => {
    const project = await redProject()
    await Policy.create({ projectId: project.id, key: 'max_attempts', value: 1 })
    const { run, item, agent } = await claimedRun({ project })
    await Project.query()
      .where('id', project.id)
      .update({ gatesConfig: JSON.stringify({ required_checks: ['ci', 'lint'] }) })
    github.fake.checkRun(EXAMPLE_REPO, SHA, 'ci', 'completed', 'success')
    github.fake.checkRun(EXAMPLE_REPO, SHA, 'lint', 'completed', 'failure')
    github.fake.checkRun(EXAMPLE_REPO, 'main', 'lint', 'completed', 'success')
    github.fake.pull(EXAMPLE_REPO, { number: 3, head: 'gatehouse/fix', sha: SHA })
    await RunLifecycle.complete(run, agent, {
      outcome: 'succeeded',
      branchName: 'gatehouse/fix',
      headSha: SHA,
      prNumber: 3,
    })
    await RunLifecycle.evaluateGates(run.id)
    await item.refresh()
    assert.equal(item.status, 'failed')
    assert.isNull(item.waitsForGreenSince)
    assert.isNotNull(item.needsHumanAt)
  })

  test('auto_fix_ci: one fix_ci item per red streak, with the failing checks as payload', async ({
    assert,
  }) => {
    const project = await githubProject()
    await Policy.create({ projectId: project.id, key: 'auto_fix_ci', value: true })
    github.fake.checkRun(EXAMPLE_REPO, 'main', 'ci', 'completed', 'failure')
    github.fake.status(EXAMPLE_REPO, 'main', 'lint', 'error')
    await DefaultBranchStatus.refresh(project)
    await DefaultBranchStatus.refresh(project)
    const items = await WorkItem.query().where('projectId', project.id)
    assert.lengthOf(items, 1, 'the streak is one red period, however often it is seen')
    assert.equal(items[0].workType, 'fix_ci')
    assert.deepEqual(
      (items[0].payload.failing_checks as { name: string }[]).map((check) => check.name).sort(),
      ['ci', 'lint']
    )

    github.fake.checkRun(EXAMPLE_REPO, 'main', 'ci', 'completed', 'success')
    github.fake.status(EXAMPLE_REPO, 'main', 'lint', 'success')
    await DefaultBranchStatus.refresh(project)
    github.fake.checkRun(EXAMPLE_REPO, 'main', 'ci', 'completed', 'failure')
    await DefaultBranchStatus.refresh(project)
    assert.lengthOf(await WorkItem.query().where('projectId', project.id), 2, 'a new streak')
  })
})

function ensure(condition: boolean): asserts condition {
  if (!condition) throw new Error('the default branch should be failing')
}
