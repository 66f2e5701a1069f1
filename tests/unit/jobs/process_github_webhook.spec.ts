import { test } from '@japa/runner'
import { errors as vineErrors } from '@vinejs/vine'
import processGitHubWebhook from '#jobs/process_github_webhook'
import AuditEvent from '#models/audit_event'
import WebhookDelivery from '#models/webhook_delivery'
import WorkItem from '#models/work_item'
import { webhookExample } from '#tests/support/fake_github/recorded_shapes'
import { fakeGitHubGroup, githubProject } from '#tests/support/github_world'

/** An `issues opened` delivery as the receiver stores it: labelled for intake, not yet applied. */
async function storedIssueOpened(projectId: number) {
  const opened = webhookExample('issues', 'opened')
  opened.issue.labels.push({ ...opened.issue.labels[0], name: 'agent-ready' })
  const delivery = await WebhookDelivery.create({
    deliveryId: crypto.randomUUID(),
    event: 'issues',
    action: 'opened',
    projectId,
    payload: opened,
    status: 'received',
  })
  return { delivery, issueNumber: opened.issue.number as number }
}

test.group('process_github_webhook job', (group) => {
  fakeGitHubGroup(group)

  test('applies a stored delivery (the labelled issue becomes an item) and marks it processed; a second run applies nothing again', async ({
    assert,
  }) => {
    const project = await githubProject()
    const { delivery, issueNumber } = await storedIssueOpened(project.id)

    await processGitHubWebhook({ deliveryId: delivery.id })
    await processGitHubWebhook({ deliveryId: delivery.id })

    const items = await WorkItem.query().where('externalRef', `github:issue:${issueNumber}`)
    assert.lengthOf(items, 1)
    assert.equal(items[0].status, 'pending')
    assert.lengthOf(await AuditEvent.query().where('action', 'work_item.created'), 1)
    await delivery.refresh()
    assert.equal(delivery.status, 'processed')
    assert.isNull(delivery.payload, 'the payload is dropped once applied')
  })

  test('a delivery of a project deleted since is ignored; an id that is not a number is refused', async ({
    assert,
  }) => {
    const project = await githubProject()
    const { delivery } = await storedIssueOpened(project.id)
    await project.delete()

    await processGitHubWebhook({ deliveryId: delivery.id })

    await delivery.refresh()
    assert.equal(delivery.status, 'ignored')
    assert.lengthOf(await WorkItem.all(), 0)
    await assert.rejects(
      () => processGitHubWebhook({ deliveryId: 'one' }),
      vineErrors.E_VALIDATION_ERROR
    )
  })
})
