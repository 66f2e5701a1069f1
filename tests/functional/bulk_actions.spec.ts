import { test } from '@japa/runner'
import type { ApiClient } from '@japa/api-client'
import db from '@adonisjs/lucid/services/db'
import WorkItem from '#models/work_item'
import Run from '#models/run'
import AuditEvent from '#models/audit_event'
import BulkAction from '#models/bulk_action'
import type User from '#models/user'
import processBulkAction from '#jobs/process_bulk_action'
import BulkActionRunner from '#services/bulk_actions/bulk_action_runner'
import { ProjectFactory } from '#database/factories/project_factory'
import { WorkItemFactory } from '#database/factories/work_item_factory'
import { AgentFactory } from '#database/factories/agent_factory'
import { claimedRun } from '#tests/support/claimed_run'
import { asUser, leaveNothingBehind, userWithRole } from '#tests/support/admin_pages'

/** What the confirmation page counted, as its hidden fields post it back. */
function confirmedFields(html: string) {
  const field = (name: string) =>
    new RegExp(`name="${name}" value="([^"]*)"`).exec(html)?.[1] ?? null
  return { count: field('count')!, upto: field('upto')!, digest: field('digest')! }
}

/** Opens the confirmation page for `kind` over `filter`, then submits it with `decision`. */
async function confirmAndSubmit(
  client: ApiClient,
  user: User,
  kind: string,
  filter: Record<string, string | number>,
  decision: Record<string, string> = { reason: 'duplicates of #1' }
) {
  const confirmation = await asUser(client, user, 'get', '/bulk-actions/new').qs({
    kind,
    ...filter,
  })
  const html = confirmation.text()
  const submitted = await asUser(client, user, 'post', '/bulk-actions', {
    kind,
    ...filter,
    ...confirmedFields(html),
    ...decision,
  })
  return { confirmation, html, submitted }
}

async function queuedBulkJobs() {
  const { rows } = await db.rawQuery(
    `select count(*)::int as count from graphile_worker.jobs where task_identifier = 'process_bulk_action'`
  )
  return rows[0].count as number
}

async function bulkActionCount() {
  const actions = await BulkAction.all()
  return actions.length
}

async function itemNow(id: number) {
  const item = await WorkItem.findOrFail(id)
  return item
}

async function runNow(id: number) {
  const run = await Run.findOrFail(id)
  return run
}

/** Runs the job of the one bulk action submitted, as the worker would. */
async function runTheJob() {
  const action = await BulkAction.firstOrFail()
  await processBulkAction({ bulkActionId: action.id })
}

async function eventsOf(action: string) {
  return AuditEvent.query().where('action', action).orderBy('subjectId')
}

/** Two projects; the filter "project A, work type code" selects three unfinished items of A. */
async function filteredWorld() {
  const a = await ProjectFactory.merge({ name: 'Storefront' }).create()
  const b = await ProjectFactory.create()
  const inScope = await WorkItemFactory.merge({ projectId: a.id, workType: 'code' }).createMany(3)
  const outside = [
    await WorkItemFactory.merge({ projectId: a.id, workType: 'docs' }).create(),
    await WorkItemFactory.merge({
      projectId: a.id,
      workType: 'code',
      status: 'completed',
    }).create(),
    ...(await WorkItemFactory.merge({ projectId: b.id, workType: 'code' }).createMany(2)),
  ]
  return { a, b, inScope, outside, filter: { project: a.id, work_type: 'code' } }
}

test.group('Bulk actions on work items', (group) => {
  group.each.setup(() => leaveNothingBehind())
  group.teardown(() => leaveNothingBehind())

  test('a bulk cancel changes exactly the filtered set and audits each item and the bulk action', async ({
    client,
    assert,
  }) => {
    const { inScope, outside, filter } = await filteredWorld()
    const maintainer = await userWithRole('maintainer')

    const { confirmation, html, submitted } = await confirmAndSubmit(
      client,
      maintainer,
      'work_items.cancel',
      filter
    )
    assert.equal(confirmation.status(), 200)
    assert.match(html, /<strong id="bulk-count">3<\/strong>/)
    assert.include(html, 'All work items that are not yet finished, in project “Storefront”')
    assert.include(html, 'of work type “code”')

    assert.equal(submitted.status(), 302)
    const action = await BulkAction.firstOrFail()
    assert.equal(submitted.header('location'), `/bulk-actions/${action.id}`)
    assert.equal(action.totalCount, 3)
    assert.deepEqual(
      action.targetIds,
      inScope.map((item) => item.id)
    )
    assert.equal(action.status, 'queued')
    assert.equal(await queuedBulkJobs(), 1)
    const [started] = await eventsOf('bulk_action.started')
    assert.equal(started.subjectId, action.id)
    assert.equal(started.actorId, maintainer.id)
    assert.equal(started.details.reason, 'duplicates of #1')
    assert.equal(started.details.count, 3)

    await processBulkAction({ bulkActionId: action.id })

    for (const item of inScope)
      assert.equal(await itemNow(item.id).then((row) => row.status), 'cancelled')
    for (const item of outside) {
      const fresh = await WorkItem.findOrFail(item.id)
      assert.equal(fresh.status, item.status, `item ${item.id} is untouched`)
    }
    const cancelled = await eventsOf('work_item.cancelled')
    assert.deepEqual(
      cancelled.map((event) => event.subjectId),
      inScope.map((item) => item.id)
    )
    for (const event of cancelled) {
      assert.equal(event.actorId, maintainer.id)
      assert.equal(event.details.bulk_action_id, action.id)
      assert.equal(event.details.reason, 'duplicates of #1')
    }
    assert.lengthOf(await eventsOf('bulk_action.started'), 1)

    await action.refresh()
    assert.equal(action.status, 'finished')
    assert.equal(action.doneCount, 3)
    assert.equal(action.skippedCount, 0)
    const progress = await asUser(client, maintainer, 'get', `/bulk-actions/${action.id}`)
    assert.equal(progress.status(), 200)
    assert.include(progress.text(), '3 done, 0 skipped of 3')
    assert.notInclude(progress.text(), 'http-equiv="refresh"')
  })

  test('a blank reason is refused with 422 on the confirmation page, and nothing is queued', async ({
    client,
    assert,
  }) => {
    const { filter } = await filteredWorld()
    const maintainer = await userWithRole('maintainer')
    const { submitted } = await confirmAndSubmit(client, maintainer, 'work_items.cancel', filter, {
      reason: '   ',
    })
    assert.equal(submitted.status(), 422)
    assert.include(submitted.text(), 'id="field-reason-error"')
    assert.match(submitted.text(), /<strong id="bulk-count">3<\/strong>/)
    assert.equal(await bulkActionCount(), 0)
    assert.equal(await queuedBulkJobs(), 0)
    assert.lengthOf(await eventsOf('work_item.cancelled'), 0)
  })

  test('a new priority is required to change the priority in bulk; each item gets it', async ({
    client,
    assert,
  }) => {
    const { inScope, outside, filter } = await filteredWorld()
    const maintainer = await userWithRole('maintainer')
    const refused = await confirmAndSubmit(client, maintainer, 'work_items.reprioritise', filter, {
      reason: 'release week',
    })
    assert.equal(refused.submitted.status(), 422)
    assert.include(refused.submitted.text(), 'id="field-priority-error"')

    const { submitted } = await confirmAndSubmit(
      client,
      maintainer,
      'work_items.reprioritise',
      filter,
      { reason: 'release week', priority: '50' }
    )
    assert.equal(submitted.status(), 302)
    await runTheJob()
    for (const item of inScope) assert.equal(await itemNow(item.id).then((row) => row.priority), 50)
    for (const item of outside) assert.equal(await itemNow(item.id).then((row) => row.priority), 0)
    assert.lengthOf(await eventsOf('work_item.reprioritised'), 3)
  })

  test('each bulk action needs the role of its single-item action (403 otherwise)', async ({
    client,
    assert,
  }) => {
    const { filter } = await filteredWorld()
    const reviewer = await userWithRole('reviewer')
    const viewer = await userWithRole('viewer')

    for (const kind of ['work_items.cancel', 'work_items.requeue', 'work_items.reprioritise']) {
      const { confirmation, submitted } = await confirmAndSubmit(client, reviewer, kind, filter, {
        reason: 'not mine to do',
        priority: '3',
      })
      assert.equal(confirmation.status(), 403, `${kind}: confirmation page`)
      assert.equal(submitted.status(), 403, `${kind}: submit`)
    }
    const byViewer = await confirmAndSubmit(client, viewer, 'work_items.approve', filter)
    assert.equal(byViewer.confirmation.status(), 403)
    assert.equal(byViewer.submitted.status(), 403)
    const runsByReviewer = await confirmAndSubmit(client, reviewer, 'runs.release', {})
    assert.equal(runsByReviewer.confirmation.status(), 403)
    assert.equal(await bulkActionCount(), 0)

    // Approving is a reviewer's: the same reviewer may approve the whole selection.
    const byReviewer = await confirmAndSubmit(client, reviewer, 'work_items.approve', filter)
    assert.equal(byReviewer.submitted.status(), 302)
    await runTheJob()
    const approved = await WorkItem.query().whereNotNull('approvedAt')
    assert.lengthOf(approved, 3)
    assert.isTrue(approved.every((item) => item.approvedByUserId === reviewer.id))

    // The list page offers only what the role may do.
    const listHtml = await asUser(client, reviewer, 'get', '/work-items').then((r) => r.text())
    assert.include(listHtml, 'value="work_items.approve"')
    assert.notInclude(listHtml, 'value="work_items.cancel"')
    const viewerList = await asUser(client, viewer, 'get', '/work-items').then((r) => r.text())
    assert.notInclude(viewerList, 'Act on all matching')
  })

  test('a selection that changed between confirmation and submit is refused with 409; items created since are not part of it', async ({
    client,
    assert,
  }) => {
    const { a, inScope, filter } = await filteredWorld()
    const maintainer = await userWithRole('maintainer')
    const confirmation = await asUser(client, maintainer, 'get', '/bulk-actions/new').qs({
      kind: 'work_items.cancel',
      ...filter,
    })
    const confirmed = confirmedFields(confirmation.text())
    assert.equal(confirmed.count, '3')

    // An item that finished meanwhile: the count the person saw is no longer true.
    await WorkItem.query().where('id', inScope[0].id).update({ status: 'completed' })
    const refused = await asUser(client, maintainer, 'post', '/bulk-actions', {
      kind: 'work_items.cancel',
      ...filter,
      ...confirmed,
      reason: 'duplicates',
    })
    assert.equal(refused.status(), 409)
    assert.include(refused.text(), 'The selection changed since you confirmed it: 3 then, 2 now')
    assert.equal(confirmedFields(refused.text()).count, '2')
    assert.equal(await bulkActionCount(), 0)
    assert.equal(await queuedBulkJobs(), 0)

    // Confirmed again at 2; an item created after that page is outside the confirmed scope.
    const reconfirmed = confirmedFields(refused.text())
    const late = await WorkItemFactory.merge({ projectId: a.id, workType: 'code' }).create()
    const accepted = await asUser(client, maintainer, 'post', '/bulk-actions', {
      kind: 'work_items.cancel',
      ...filter,
      ...reconfirmed,
      reason: 'duplicates',
    })
    assert.equal(accepted.status(), 302)
    const action = await BulkAction.firstOrFail()
    assert.deepEqual(action.targetIds, [inScope[1].id, inScope[2].id])
    await processBulkAction({ bulkActionId: action.id })
    assert.equal(await itemNow(late.id).then((row) => row.status), 'pending')
    assert.equal(await itemNow(inScope[0].id).then((row) => row.status), 'completed')
  })

  test('the job works in batches, skips items that moved on, and a second run changes nothing', async ({
    client,
    assert,
  }) => {
    const project = await ProjectFactory.create()
    const items = await WorkItemFactory.merge({
      projectId: project.id,
      status: 'failed',
    }).createMany(5)
    const maintainer = await userWithRole('maintainer')
    const { submitted } = await confirmAndSubmit(client, maintainer, 'work_items.requeue', {
      project: project.id,
      status: 'failed',
    })
    assert.equal(submitted.status(), 302)
    const action = await BulkAction.firstOrFail()

    // One batch of two commits; then the worker dies (the job is run again from the start).
    assert.isTrue(await BulkActionRunner.processNextBatch(action.id, 2))
    await action.refresh()
    assert.equal(action.status, 'running')
    assert.equal(action.doneCount, 2)
    assert.equal(action.processedThroughId, items[1].id)
    // Meanwhile someone requeued one of the rest by hand: its turn finds it pending.
    const requeuedByHand = await itemNow(items[3].id)
    await requeuedByHand.requeue(maintainer, null)

    await processBulkAction({ bulkActionId: action.id })
    await action.refresh()
    assert.equal(action.status, 'finished')
    assert.equal(action.doneCount, 4)
    assert.equal(action.skippedCount, 1)
    const requeued = await eventsOf('work_item.requeued')
    const byBulk = requeued.filter((event) => event.details.bulk_action_id === action.id)
    assert.deepEqual(
      byBulk.map((event) => event.subjectId),
      [items[0].id, items[1].id, items[2].id, items[4].id]
    )

    // A second run of the same job (a crashed worker's job unlocked again) does nothing.
    await processBulkAction({ bulkActionId: action.id })
    assert.lengthOf(await eventsOf('work_item.requeued'), requeued.length)
    const again = await BulkAction.findOrFail(action.id)
    assert.equal(again.doneCount, 4)
    assert.equal(again.skippedCount, 1)
    const progress = await asUser(client, maintainer, 'get', `/bulk-actions/${action.id}`)
    assert.include(progress.text(), '4 done, 1 skipped of 5')
  })

  test('a batch that fails midway leaves nothing behind, and the job run again applies it once', async ({
    client,
    assert,
  }) => {
    const { inScope, filter } = await filteredWorld()
    const maintainer = await userWithRole('maintainer')
    await confirmAndSubmit(client, maintainer, 'work_items.cancel', filter)
    const action = await BulkAction.firstOrFail()
    // The third item's update fails, as if the worker died there (after two items were done).
    await db.rawQuery(`
      create function refuse_bulk_probe() returns trigger language plpgsql as $$
      begin raise exception 'worker died'; end $$;
      create trigger refuse_bulk_probe before update on work_items
        for each row when (old.id = ${inScope[2].id}) execute function refuse_bulk_probe();`)
    try {
      await assert.rejects(() => processBulkAction({ bulkActionId: action.id }), /worker died/)
    } finally {
      await db.rawQuery(
        'drop trigger refuse_bulk_probe on work_items; drop function refuse_bulk_probe()'
      )
    }
    await action.refresh()
    assert.equal(action.status, 'queued')
    assert.equal(action.processedThroughId, 0)
    assert.equal(action.doneCount, 0)
    for (const item of inScope)
      assert.equal(await itemNow(item.id).then((row) => row.status), 'pending')
    assert.lengthOf(await eventsOf('work_item.cancelled'), 0)

    await processBulkAction({ bulkActionId: action.id })
    await action.refresh()
    assert.equal(action.doneCount, 3)
    const cancelled = await eventsOf('work_item.cancelled')
    assert.deepEqual(
      cancelled.map((event) => event.subjectId),
      inScope.map((item) => item.id)
    )
  })

  test('the progress page refreshes itself while the job has not finished', async ({
    client,
    assert,
  }) => {
    const { filter } = await filteredWorld()
    const maintainer = await userWithRole('maintainer')
    await confirmAndSubmit(client, maintainer, 'work_items.cancel', filter)
    const action = await BulkAction.firstOrFail()
    const page = await asUser(client, maintainer, 'get', `/bulk-actions/${action.id}`)
    assert.include(page.text(), '<meta http-equiv="refresh" content="2">')
    assert.include(page.text(), '0 done, 0 skipped of 3')
  })
})

test.group('Bulk actions on runs', (group) => {
  group.each.setup(() => leaveNothingBehind())
  group.teardown(() => leaveNothingBehind())

  test('a bulk release gives back the items of exactly the filtered running runs', async ({
    client,
    assert,
  }) => {
    const agent = await AgentFactory.merge({ key: 'night-shift' }).create()
    const released = [await claimedRun({ agent }), await claimedRun({ agent })]
    const other = await claimedRun()
    const maintainer = await userWithRole('maintainer')

    const { html, submitted } = await confirmAndSubmit(client, maintainer, 'runs.release', {
      agent: agent.id,
    })
    assert.match(html, /<strong id="bulk-count">2<\/strong>/)
    assert.include(html, 'of agent “night-shift”')
    assert.equal(submitted.status(), 302)
    const action = await BulkAction.firstOrFail()
    await processBulkAction({ bulkActionId: action.id })

    for (const { run, item } of released) {
      assert.equal(await runNow(run.id).then((row) => row.status), 'released')
      const fresh = await WorkItem.findOrFail(item.id)
      assert.equal(fresh.status, 'pending')
      assert.equal(fresh.attempts, item.attempts - 1, 'a release is not an attempt')
    }
    assert.equal(await runNow(other.run.id).then((row) => row.status), 'running')
    assert.equal(await itemNow(other.item.id).then((row) => row.status), 'in_progress')
    const events = await eventsOf('run.released')
    assert.deepEqual(
      events.map((event) => event.subjectId),
      released.map(({ run }) => run.id)
    )
    for (const event of events) {
      assert.equal(event.actorType, 'user')
      assert.equal(event.details.bulk_action_id, action.id)
    }
    await action.refresh()
    assert.equal(action.doneCount, 2)
  })

  test('a bulk cancel from the runs list cancels the items of the running runs and asks them to stop', async ({
    client,
    assert,
  }) => {
    const project = await ProjectFactory.create()
    const running = [await claimedRun({ project }), await claimedRun({ project })]
    const elsewhere = await claimedRun()
    const maintainer = await userWithRole('maintainer')
    const { submitted } = await confirmAndSubmit(client, maintainer, 'runs.cancel', {
      project: project.id,
      status: 'running',
    })
    assert.equal(submitted.status(), 302)
    await runTheJob()
    for (const { run, item } of running) {
      assert.isNotNull(await runNow(run.id).then((row) => row.cancelRequestedAt))
      assert.equal(await itemNow(item.id).then((row) => row.status), 'cancelled')
    }
    assert.isNull(await runNow(elsewhere.run.id).then((row) => row.cancelRequestedAt))
    assert.lengthOf(await eventsOf('work_item.cancelled'), 2)
  })
})
