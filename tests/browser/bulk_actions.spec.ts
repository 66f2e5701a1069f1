import { test } from '@japa/runner'
import WorkItem from '#models/work_item'
import BulkAction from '#models/bulk_action'
import processBulkAction from '#jobs/process_bulk_action'
import { ProjectFactory } from '#database/factories/project_factory'
import { WorkItemFactory } from '#database/factories/work_item_factory'
import { leaveNothingBehind, userWithRole } from '#tests/support/admin_pages'

test.group('Bulk actions in the browser', (group) => {
  group.each.setup(() => leaveNothingBehind())

  test('a maintainer filters the work items, confirms a bulk cancel with a reason and follows its progress', async ({
    visit,
    browserContext,
    assert,
  }) => {
    const project = await ProjectFactory.merge({ name: 'Storefront' }).create()
    const other = await ProjectFactory.merge({ name: 'Backoffice' }).create()
    const selected = await WorkItemFactory.merge({ projectId: project.id }).createMany(3)
    const untouched = await WorkItemFactory.merge({ projectId: other.id }).create()
    await browserContext.loginAs(await userWithRole('maintainer'))

    const page = await visit('/work-items')
    await page.selectOption('#field-project', String(project.id))
    await page.selectOption('#field-status', 'pending')
    await page.getByRole('button', { name: 'Filter' }).click()
    await page.waitForURL(/\/work-items\?.*project=/)

    await page.selectOption('#field-kind', 'work_items.cancel')
    await page.getByRole('button', { name: 'Act on all matching…' }).click()
    await page.waitForURL(/\/bulk-actions\/new\?/)
    await page.assertTextContains('#bulk-count', '3')
    await page.assertTextContains('#bulk-scope', 'in project “Storefront”, with status pending')

    // Without a reason the page says so, and nothing is queued.
    await page.getByRole('button', { name: 'Cancel 3 work items' }).click()
    await page.assertTextContains('#field-reason-error', 'reason')
    const actions = await BulkAction.all()
    assert.lengthOf(actions, 0)

    await page.fill('#field-reason', 'The storefront rewrite replaces these')
    await page.getByRole('button', { name: 'Cancel 3 work items' }).click()
    await page.waitForURL(/\/bulk-actions\/\d+$/)
    await page.assertTextContains('.flash-success', 'queued for 3 work items')
    await page.assertTextContains('#bulk-progress', '0 done, 0 skipped of 3')

    // The worker's turn; the page refreshes itself and shows the end.
    const action = await BulkAction.firstOrFail()
    await processBulkAction({ bulkActionId: action.id })
    await page.assertTextContains('#bulk-progress', '3 done, 0 skipped of 3')
    await page.assertTextContains('.badge', 'finished')

    const statuses = await WorkItem.query()
      .whereIn(
        'id',
        selected.map((item) => item.id)
      )
      .select('status')
    assert.deepEqual(
      statuses.map((item) => item.status),
      ['cancelled', 'cancelled', 'cancelled']
    )
    const outside = await WorkItem.findOrFail(untouched.id)
    assert.equal(outside.status, 'pending')
  })
})
