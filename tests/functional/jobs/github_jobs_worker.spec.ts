import { DateTime } from 'luxon'
import { test } from '@japa/runner'
import db from '@adonisjs/lucid/services/db'
import Worker from '#infrastructure/worker'
import Run from '#models/run'
import WorkItem from '#models/work_item'
import WebhookDelivery from '#models/webhook_delivery'
import AuditEvent from '#models/audit_event'
import RunLifecycle from '#services/runs/run_lifecycle'
import JobQueue from '#infrastructure/job_queue'
import { claimedRun } from '#tests/support/claimed_run'
import { webhookExample } from '#tests/support/fake_github/recorded_shapes'
import {
  clearJobs,
  deliver,
  githubProject,
  fakeGitHubGroup,
  EXAMPLE_REPO,
} from '#tests/support/github_world'

async function eventually<T>(
  probe: () => Promise<T | null | undefined | false>,
  timeoutMs = 15_000
): Promise<T | null> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    const value = await probe()
    if (value) return value
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  return null
}

test.group('GitHub jobs on a real worker', (group) => {
  const github = fakeGitHubGroup(group)
  let worker: Worker
  group.each.setup(async () => {
    await clearJobs()
    worker = await new Worker().start({ concurrency: 2, crontab: '' })
    return async () => {
      await worker.stop()
      await clearJobs()
    }
  })

  test('a signed check_run webhook, processed by the worker, completes the item whose checks passed', async ({
    assert,
  }) => {
    const checkRun = webhookExample('check_run', 'completed')
    const sha = checkRun.check_run.head_sha
    github.fake.checkRun(EXAMPLE_REPO, sha, 'ci', 'in_progress')
    const project = await githubProject({ gatesConfig: { required_checks: ['ci'] } })
    const { run, agent, item } = await claimedRun({
      project,
      startedAt: DateTime.now().minus({ minutes: 5 }),
    })
    github.fake.pull(EXAMPLE_REPO, { number: 2, head: 'changes', sha })
    await RunLifecycle.complete(run, agent, {
      outcome: 'succeeded',
      headSha: sha,
      prNumber: 2,
      branchName: 'changes',
    })

    const pending = await eventually(async () => {
      const fresh = await Run.findOrFail(run.id)
      const checks = fresh.gateResults.find((verdict) => verdict.gate === 'required_checks')
      return checks?.reason.startsWith('ci:') && fresh
    })
    assert.equal(pending?.gateStatus, 'pending', 'the worker fetched the facts: CI still running')

    github.fake.checkRun(EXAMPLE_REPO, sha, 'ci', 'completed', 'success')
    const response = await deliver('check_run', checkRun)
    assert.equal(response.status, 202)

    const completed = await eventually(async () => {
      const fresh = await WorkItem.findOrFail(item.id)
      return fresh.status === 'completed' && fresh
    })
    assert.exists(completed, 'the item completed')
    const delivery = await WebhookDelivery.firstOrFail()
    assert.equal(delivery.status, 'processed')
  }).timeout(40_000)

  test('a sync job facing a rejected token finishes (no retry loop) and leaves the state on the project', async ({
    assert,
  }) => {
    const project = await githubProject({ token: 'ghp_revoked' })
    await JobQueue.enqueueNow('sync_github_project', { projectId: project.id }, { maxAttempts: 1 })

    const recorded = await eventually(async () => {
      await project.refresh()
      return project.githubStatus === 'token_rejected'
    })
    assert.isTrue(recorded)
    const drained = await eventually(async () => {
      const { rows } = await db.rawQuery(
        'select count(*)::int as n from graphile_worker._private_jobs'
      )
      return rows[0].n === 0
    })
    assert.isTrue(drained, 'the job completed instead of failing')
    assert.lengthOf(await AuditEvent.query().where('action', 'project.github_token_rejected'), 1)
  }).timeout(40_000)
})
