import { test } from '@japa/runner'
import testUtils from '@adonisjs/core/services/test_utils'
import AuditEvent from '#models/audit_event'
import BulkAction, { type BulkRequest } from '#models/bulk_action'
import SelectionChanged from '#exceptions/selection_changed'
import { ProjectFactory } from '#database/factories/project_factory'
import { UserFactory } from '#database/factories/user_factory'
import { WorkItemFactory } from '#database/factories/work_item_factory'
import { discardQueuedJobs } from '#tests/support/queued_jobs'

/** A bulk cancel of a project's items, as the confirmation page counted them. */
async function confirmedCancel(projectId: number): Promise<BulkRequest> {
  const filter = { project: projectId }
  return {
    kind: 'work_items.cancel',
    filter,
    parameters: {},
    reason: 'replaced by the rewrite',
    confirmed: await BulkAction.selectionOf('work_items.cancel', filter),
  }
}

test.group('BulkAction', (group) => {
  group.each.setup(async () => {
    // Lucid's truncate empties the tables after the test, through the function it answers.
    const truncate = await testUtils.db().truncate()
    return async () => {
      await truncate()
      await discardQueuedJobs()
    }
  })

  test('selects what the filter matches and the action applies to; a finished item is never cancelled', async ({
    assert,
  }) => {
    const project = await ProjectFactory.merge({ name: 'Storefront' }).create()
    const open = await WorkItemFactory.merge({ projectId: project.id }).createMany(2)
    await WorkItemFactory.merge({ projectId: project.id, status: 'completed' }).create()
    await WorkItemFactory.with('project').create()

    const selection = await BulkAction.selectionOf(
      'work_items.cancel',
      { project: project.id },
      { withIds: true }
    )

    assert.equal(selection.count, 2)
    assert.deepEqual(
      selection.ids,
      open.map((item) => item.id)
    )
    assert.equal(
      await BulkAction.describe('work_items.cancel', { project: project.id, status: 'pending' }),
      'All work items that are not yet finished, in project “Storefront”, with status pending'
    )
  })

  test('starting records exactly the confirmed items, audited with the reason', async ({
    assert,
  }) => {
    const project = await ProjectFactory.create()
    const items = await WorkItemFactory.merge({ projectId: project.id }).createMany(3)
    const maintainer = await UserFactory.create()

    const action = await BulkAction.start(maintainer, await confirmedCancel(project.id))

    assert.deepEqual(
      action.targetIds,
      items.map((item) => item.id)
    )
    await action.refresh()
    assert.equal(action.totalCount, 3)
    assert.equal(action.progressPercent, 0)
    const [started] = await AuditEvent.query().where('action', 'bulk_action.started')
    assert.containsSubset(started.details, { count: 3, reason: 'replaced by the rewrite' })
  })

  test('a selection that changed since the confirmation is refused and records nothing', async ({
    assert,
  }) => {
    const project = await ProjectFactory.create()
    const [first] = await WorkItemFactory.merge({ projectId: project.id }).createMany(2)
    const request = await confirmedCancel(project.id)
    await first.merge({ status: 'completed' }).save()
    const maintainer = await UserFactory.create()

    await assert.rejects(() => BulkAction.start(maintainer, request), SelectionChanged)
    assert.lengthOf(await BulkAction.all(), 0)
  })
})
