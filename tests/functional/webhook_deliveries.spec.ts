import { test } from '@japa/runner'
import { DateTime } from 'luxon'
import WebhookDelivery from '#models/webhook_delivery'
import { ProjectFactory } from '#database/factories/project_factory'
import { asUser, assertRoleGate, userWithRole } from '#tests/support/admin_pages'
import { emptyWorld } from '#tests/support/test_database'

async function delivery(
  attributes: Partial<Pick<WebhookDelivery, 'status' | 'projectId' | 'event' | 'error'>> & {
    deliveryId: string
  }
) {
  return WebhookDelivery.create({
    event: 'issues',
    action: 'opened',
    payload: {},
    receivedAt: DateTime.now(),
    ...attributes,
  })
}

test.group('Webhook deliveries page', (group) => {
  // Leave nothing behind for suites that clean up only after their tests.
  group.teardown(() => emptyWorld())
  group.each.setup(() => emptyWorld())

  test('every signed-in role reads it; visitors are sent to login', async ({ client, assert }) => {
    await assertRoleGate(client, assert, {
      method: 'get',
      url: '/webhook-deliveries',
      minimumRole: 'viewer',
    })
  })

  test('lists deliveries newest first with status and error, filtered by status and project', async ({
    client,
    assert,
  }) => {
    const acme = await ProjectFactory.merge({ name: 'Acme' }).create()
    const other = await ProjectFactory.merge({ name: 'Other' }).create()
    await delivery({ deliveryId: 'd-processed', status: 'processed', projectId: acme.id })
    await delivery({
      deliveryId: 'd-failed',
      status: 'failed',
      projectId: acme.id,
      error: 'boom in processing',
    })
    await delivery({
      deliveryId: 'd-other',
      status: 'failed',
      projectId: other.id,
      event: 'check_run',
    })
    const viewer = await userWithRole('viewer')

    const all = await asUser(client, viewer, 'get', '/webhook-deliveries')
    all.assertStatus(200)
    const text = all.text()
    assert.isBelow(text.indexOf('d-other'), text.indexOf('d-failed'))
    assert.isBelow(text.indexOf('d-failed'), text.indexOf('d-processed'))
    assert.include(text, 'boom in processing')

    const failedOfAcme = await asUser(
      client,
      viewer,
      'get',
      `/webhook-deliveries?status=failed&project=${acme.id}`
    )
    assert.include(failedOfAcme.text(), 'd-failed')
    assert.notInclude(failedOfAcme.text(), 'd-processed')
    assert.notInclude(failedOfAcme.text(), 'd-other')
    assert.include(
      failedOfAcme.text(),
      'never checked',
      'the project GitHub connection state is shown'
    )
  })

  test('projects whose GitHub connection is broken are shown with the reason', async ({
    client,
    assert,
  }) => {
    await ProjectFactory.merge({
      name: 'Broken',
      githubStatus: 'token_rejected',
      githubStatusMessage: 'GitHub rejected the token (401): Bad credentials',
      githubCheckedAt: DateTime.now(),
    }).create()
    await ProjectFactory.merge({ name: 'Fine', githubStatus: 'connected' }).create()

    const response = await asUser(
      client,
      await userWithRole('viewer'),
      'get',
      '/webhook-deliveries'
    )

    assert.include(response.text(), 'token rejected')
    assert.include(response.text(), 'GitHub rejected the token (401): Bad credentials')
    assert.notInclude(response.text(), '>connected<')
  })

  test('the project page shows its GitHub connection state and links its deliveries', async ({
    client,
    assert,
  }) => {
    const project = await ProjectFactory.merge({
      githubTokenSecretName: 'GITHUB_TOKEN_ACME',
      githubStatus: 'token_missing',
      githubStatusMessage:
        'No active github integration or environment variable named GITHUB_TOKEN_ACME.',
    }).create()

    const response = await asUser(
      client,
      await userWithRole('viewer'),
      'get',
      `/projects/${project.id}`
    )

    response.assertStatus(200)
    assert.include(response.text(), 'token missing')
    assert.include(
      response.text(),
      'No active github integration or environment variable named GITHUB_TOKEN_ACME.'
    )
    assert.include(response.text(), `/webhook-deliveries?project=${project.id}`)
  })

  test('pages by keyset, keeping the filters', async ({ client, assert }) => {
    for (let index = 1; index <= 55; index++)
      await delivery({ deliveryId: `d-${index}`, status: 'ignored' })
    const viewer = await userWithRole('viewer')

    const first = await asUser(client, viewer, 'get', '/webhook-deliveries?status=ignored')
    assert.include(first.text(), 'd-55')
    assert.notInclude(first.text(), '>d-5<')
    const next = first.text().match(/href="(\/webhook-deliveries\?[^"]*after=\d+[^"]*)"/)
    assert.exists(next, 'a link to older deliveries')
    assert.include(next![1], 'status=ignored')

    const second = await asUser(client, viewer, 'get', next![1].replaceAll('&amp;', '&'))
    assert.include(second.text(), '>d-5<')
    assert.notInclude(second.text(), '>d-55<')
  })

  test('an empty filter means any; a bad filter is answered without a server error', async ({
    client,
  }) => {
    const viewer = await userWithRole('viewer')
    const any = await asUser(client, viewer, 'get', '/webhook-deliveries?status=&project=')
    any.assertStatus(200)
    const response = await asUser(client, viewer, 'get', '/webhook-deliveries?status=exploded')
    response.assertStatus(302)
  })
})
