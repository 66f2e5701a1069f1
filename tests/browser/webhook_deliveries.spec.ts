import { test } from '@japa/runner'
import { DateTime } from 'luxon'
import WebhookDelivery from '#models/webhook_delivery'
import { ProjectFactory } from '#database/factories/project_factory'
import { PASSWORD, userWithRole } from '#tests/support/admin_pages'
import { emptyWorld } from '#tests/support/test_database'

test.group('Webhook deliveries page in a browser', (group) => {
  // Leave nothing behind for suites that clean up only after their tests.
  group.teardown(() => emptyWorld())
  group.each.setup(() => emptyWorld())

  test('a viewer signs in, opens Webhooks from the nav and filters failed deliveries', async ({
    visit,
  }) => {
    const viewer = await userWithRole('viewer')
    const project = await ProjectFactory.merge({ name: 'Acme' }).create()
    for (const [deliveryId, status] of [
      ['ok-delivery', 'processed'],
      ['bad-delivery', 'failed'],
    ] as const) {
      await WebhookDelivery.create({
        deliveryId,
        event: 'check_run',
        action: 'completed',
        status,
        projectId: project.id,
        error: status === 'failed' ? 'GitHub answered 502' : null,
        payload: {},
        receivedAt: DateTime.now(),
      })
    }

    const page = await visit('/login')
    await page.fill('input[name="email"]', viewer.email)
    await page.fill('input[name="password"]', PASSWORD)
    await page.click('button[type="submit"]')
    await page.click('nav >> text=Webhooks')
    await page.assertTextContains('h1', 'Webhook deliveries')
    await page.assertTextContains('table', 'ok-delivery')

    await page.selectOption('select[name="status"]', 'failed')
    await page.getByRole('button', { name: 'Filter' }).click()
    await page.waitForURL(/status=failed/)
    await page.assertTextContains('table', 'bad-delivery')
    await page.assertTextContains('table', 'GitHub answered 502')
    await page.assertNotExists('text=ok-delivery')
  })
})
