import { test } from '@japa/runner'
import { DateTime } from 'luxon'
import { errors as vineErrors } from '@vinejs/vine'
import { appUrl } from '#config/app'
import postGatehouseStatus from '#jobs/post_gatehouse_status'
import AuditEvent from '#models/audit_event'
import { claimedRun } from '#tests/support/claimed_run'
import { fakeGitHubGroup, githubProject, EXAMPLE_REPO } from '#tests/support/github_world'

const HEAD = 'a'.repeat(40)
const attempt = (attempts: number, max = 8) => ({ job: { attempts, max_attempts: max } }) as any

/** A run whose pull request head Gatehouse judged and accepted. */
async function acceptedRun(fake: any) {
  fake.pull(EXAMPLE_REPO, { number: 7, head: 'agent/issue-42', sha: HEAD, body: 'Fixes #42' })
  const project = await githubProject()
  const { run } = await claimedRun({ project })
  await run
    .merge({
      status: 'succeeded',
      finishedAt: DateTime.now(),
      prNumber: 7,
      headSha: HEAD,
      judgedHeadSha: HEAD,
      gateStatus: 'passed',
      gateResults: [],
    })
    .save()
  return run
}

const gatehouseStatuses = (fake: any) =>
  fake
    .statuses(EXAMPLE_REPO, HEAD)
    .filter((status: any) => status.context === 'gatehouse')
    .map((status: any) => [status.state, status.description, status.target_url])

test.group('post_gatehouse_status job', (group) => {
  const github = fakeGitHubGroup(group)

  test("sets the accepted run's commit status to success, linking the run page; a second run sets the same", async ({
    assert,
  }) => {
    const run = await acceptedRun(github.fake)
    const expected = [
      'success',
      `Accepted by Gatehouse (run #${run.id})`,
      `${appUrl}/runs/${run.id}`,
    ]

    await postGatehouseStatus({ runId: run.id }, attempt(1))
    await postGatehouseStatus({ runId: run.id }, attempt(1))

    assert.lengthOf(await AuditEvent.query().where('action', 'github.status_failed'), 0)
    assert.deepEqual(gatehouseStatuses(github.fake), [expected, expected])
  })

  test('GitHub refusing the status (422) gives up at once with an audit event; a sha that is not one is refused', async ({
    assert,
  }) => {
    const run = await acceptedRun(github.fake)
    github.fake.fail(/\/statuses\//, 422)

    await postGatehouseStatus({ runId: run.id }, attempt(1))

    const [gaveUp] = await AuditEvent.query().where('action', 'github.status_failed')
    assert.containsSubset(gaveUp.details, { sha: HEAD, state: 'success', attempts: 1 })
    await assert.rejects(
      () => postGatehouseStatus({ runId: run.id, sha: 'main' }, attempt(1)),
      vineErrors.E_VALIDATION_ERROR
    )
  })
})
