import { test } from '@japa/runner'
import reportItemToGitHub from '#jobs/report_item_to_github'
import AuditEvent from '#models/audit_event'
import { commentMarker } from '#services/github/github_report'
import { claimedRun } from '#tests/support/claimed_run'
import { fakeGitHubGroup, githubProject, EXAMPLE_REPO } from '#tests/support/github_world'

/** A job's helpers as graphile-worker passes them: only the attempt counters are read. */
const attempt = (attempts: number, max = 8) => ({ job: { attempts, max_attempts: max } }) as any

/** Issue #42's item, claimed and running. */
async function runningIssueItem() {
  const project = await githubProject()
  const world = await claimedRun({ project })
  await world.item.merge({ source: 'github', externalRef: 'github:issue:42' }).save()
  return world
}

test.group('report_item_to_github job', (group) => {
  const github = fakeGitHubGroup(group)

  test("posts the item's state on its issue, then edits that one comment: a second run posts nothing new", async ({
    assert,
  }) => {
    github.fake.issue(EXAMPLE_REPO, { number: 42 })
    const { item } = await runningIssueItem()

    await reportItemToGitHub({ workItemId: item.id }, attempt(1))
    await reportItemToGitHub({ workItemId: item.id }, attempt(1))

    const comments = github.fake.comments(EXAMPLE_REPO, 42)
    assert.lengthOf(comments, 1)
    assert.include(comments[0].body, `work item #${item.id}: **in progress**`)
    assert.include(comments[0].body, commentMarker(item.id))
    assert.lengthOf(github.fake.requestsTo('POST', /\/issues\/42\/comments$/), 1)
  })

  test('a 500 throws for the queue to retry; on the last attempt it gives up with an audit event', async ({
    assert,
  }) => {
    github.fake.issue(EXAMPLE_REPO, { number: 42 })
    const { item } = await runningIssueItem()
    github.fake.fail(/\/issues\/42\/comments/, 500, { times: 100 })

    await assert.rejects(() => reportItemToGitHub({ workItemId: item.id }, attempt(1, 3)))
    assert.lengthOf(await AuditEvent.query().where('action', 'github.comment_failed'), 0)

    await reportItemToGitHub({ workItemId: item.id }, attempt(3, 3))
    assert.lengthOf(await AuditEvent.query().where('action', 'github.comment_failed'), 1)
    assert.lengthOf(github.fake.comments(EXAMPLE_REPO, 42), 0)
  })
})
