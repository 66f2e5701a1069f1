import { test } from '@japa/runner'
import testUtils from '@adonisjs/core/services/test_utils'
import WebhookDelivery from '#models/webhook_delivery'
import { ProjectFactory } from '#database/factories/project_factory'
import { WebhookDeliveryFactory } from '#database/factories/webhook_delivery_factory'

test.group('WebhookDelivery', (group) => {
  group.each.setup(() => testUtils.db().truncate())

  test('the list filters by status and by project, each delivery with its project', async ({
    assert,
  }) => {
    const shop = await ProjectFactory.create()
    const blog = await ProjectFactory.create()
    const failedShop = await WebhookDeliveryFactory.merge({
      projectId: shop.id,
      status: 'failed',
    }).create()
    const processedShop = await WebhookDeliveryFactory.merge({
      projectId: shop.id,
      status: 'processed',
    }).create()
    await WebhookDeliveryFactory.merge({ projectId: blog.id, status: 'failed' }).create()

    const failedOfShop = await WebhookDelivery.listQuery({ status: 'failed', projectId: shop.id })
    assert.deepEqual(
      failedOfShop.map((delivery) => [delivery.id, delivery.project.slug]),
      [[failedShop.id, shop.slug]]
    )
    const ofShop = await WebhookDelivery.listQuery({ projectId: shop.id }).orderBy('id')
    assert.deepEqual(
      ofShop.map((delivery) => delivery.id),
      [failedShop.id, processedShop.id]
    )
    assert.lengthOf(await WebhookDelivery.listQuery({}), 3)
  })
})
