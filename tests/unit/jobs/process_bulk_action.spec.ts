import { test } from '@japa/runner'
import testUtils from '@adonisjs/core/services/test_utils'
import processBulkAction from '#jobs/process_bulk_action'
import AuditEvent from '#models/audit_event'
import BulkAction from '#models/bulk_action'
import WorkItem from '#models/work_item'
import { ProjectFactory } from '#database/factories/project_factory'
import { UserFactory } from '#database/factories/user_factory'
import { WorkItemFactory } from '#database/factories/work_item_factory'
import { discardQueuedJobs } from '#tests/support/queued_jobs'

test.group('process_bulk_action job', (group) => {
  group.each.setup(async () => {
    // Lucid's truncate empties the tables after the test, through the function it answers.
    const truncate = await testUtils.db().truncate()
    return async () => {
      await truncate()
      await discardQueuedJobs()
    }
  })

  test('requeues every selected item with the bulk action named on its audit event; a second run changes nothing', async ({
    assert,
  }) => {
    const project = await ProjectFactory.create()
    const items = await WorkItemFactory.merge({
      projectId: project.id,
      status: 'failed',
    }).createMany(3)
    const filter = { project: project.id, status: 'failed' as const }
    const action = await BulkAction.start(await UserFactory.create(), {
      kind: 'work_items.requeue',
      filter,
      parameters: {},
      reason: 'the flaky CI is fixed',
      confirmed: await BulkAction.selectionOf('work_items.requeue', filter),
    })

    await processBulkAction({ bulkActionId: action.id })
    await processBulkAction({ bulkActionId: action.id })

    const statuses = await WorkItem.query().whereIn(
      'id',
      items.map((item) => item.id)
    )
    assert.deepEqual(
      statuses.map((item) => item.status),
      ['pending', 'pending', 'pending']
    )
    const events = await AuditEvent.query().where('action', 'work_item.requeued').orderBy('id')
    assert.deepEqual(
      events.map((event) => [event.subjectId, event.details.bulk_action_id, event.details.reason]),
      items.map((item) => [item.id, action.id, 'the flaky CI is fixed'])
    )
    await action.refresh()
    assert.equal(action.status, 'finished')
    assert.equal(action.doneCount, 3)
    assert.equal(action.progressPercent, 100)
  })
})
