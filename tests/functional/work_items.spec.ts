import { test } from '@japa/runner'
import db from '@adonisjs/lucid/services/db'
import WorkItem from '#models/work_item'
import AuditEvent from '#models/audit_event'
import { ProjectFactory } from '#database/factories/project_factory'
import { WorkItemFactory } from '#database/factories/work_item_factory'
import { AgentFactory } from '#database/factories/agent_factory'
import { claimedRun } from '#tests/support/claimed_run'
import {
  asUser,
  assertRoleGate,
  fieldErrors,
  htmlOf,
  userWithRole,
} from '#tests/support/admin_pages'
import { emptyWorld } from '#tests/support/test_database'

async function pendingItem(attributes: Partial<WorkItem> = {}) {
  const project = await ProjectFactory.create()
  return WorkItemFactory.merge({ projectId: project.id, ...attributes }).create()
}

/** Rows whose count must not move when a form is refused. */
async function counts() {
  const [row] = await db
    .rawQuery(
      `select (select count(*) from work_items) as items, (select count(*) from work_item_dependencies) as deps,
            (select count(*) from audit_events) as events`
    )
    .then((result) => result.rows)
  return row
}

test.group('Work item pages: who may do what', (group) => {
  group.each.setup(() => emptyWorld())

  test('every role reads the list and the detail page; a visitor is sent to /login', async ({
    client,
    assert,
  }) => {
    const item = await pendingItem()
    await assertRoleGate(client, assert, {
      method: 'get',
      url: '/work-items',
      minimumRole: 'viewer',
    })
    await assertRoleGate(client, assert, {
      method: 'get',
      url: `/work-items/${item.id}`,
      minimumRole: 'viewer',
    })
  })

  test('only maintainers open the form and create items', async ({ client, assert }) => {
    const project = await ProjectFactory.create()
    await assertRoleGate(client, assert, {
      method: 'get',
      url: '/work-items/new',
      minimumRole: 'maintainer',
    })
    await assertRoleGate(client, assert, {
      method: 'post',
      url: '/work-items',
      form: () => ({ project_id: project.id, work_type: 'code', title: 'Fix it', payload: '{}' }),
      minimumRole: 'maintainer',
    })
  })

  test('reviewers approve; maintainers cancel, requeue, block, unblock, reprioritise, pin and unpin', async ({
    client,
    assert,
  }) => {
    const agent = await AgentFactory.create()
    const url =
      (status: WorkItem['status'], path: string, extra: Partial<WorkItem> = {}) =>
      async () => {
        const item = await pendingItem({ status, ...extra })
        return `/work-items/${item.id}${path}`
      }
    await assertRoleGate(client, assert, {
      method: 'post',
      url: url('pending', '/approval'),
      minimumRole: 'reviewer',
    })
    await assertRoleGate(client, assert, {
      method: 'post',
      url: url('pending', '/cancellation'),
      minimumRole: 'maintainer',
    })
    await assertRoleGate(client, assert, {
      method: 'post',
      url: url('failed', '/requeue'),
      minimumRole: 'maintainer',
    })
    await assertRoleGate(client, assert, {
      method: 'post',
      url: url('pending', '/block'),
      form: () => ({ reason: 'waiting for credentials' }),
      minimumRole: 'maintainer',
    })
    await assertRoleGate(client, assert, {
      method: 'delete',
      url: url('blocked', '/block'),
      minimumRole: 'maintainer',
    })
    await assertRoleGate(client, assert, {
      method: 'put',
      url: url('pending', '/priority'),
      form: () => ({ priority: 7 }),
      minimumRole: 'maintainer',
    })
    await assertRoleGate(client, assert, {
      method: 'post',
      url: url('pending', '/pin'),
      form: () => ({ agent_id: agent.id }),
      minimumRole: 'maintainer',
    })
    await assertRoleGate(client, assert, {
      method: 'delete',
      url: url('pending', '/pin', { assignedAgentId: agent.id }),
      minimumRole: 'maintainer',
    })
  })

  test('the detail page shows each role only the buttons it may press', async ({
    client,
    assert,
  }) => {
    const item = await pendingItem()
    await AgentFactory.create()
    const page = async (role: 'viewer' | 'reviewer' | 'maintainer') =>
      await htmlOf(client, await userWithRole(role), `/work-items/${item.id}`)

    const viewer = await page('viewer')
    assert.notInclude(viewer, `action="/work-items/${item.id}/approval"`)
    assert.notInclude(viewer, `action="/work-items/${item.id}/cancellation"`)
    const reviewer = await page('reviewer')
    assert.include(reviewer, `action="/work-items/${item.id}/approval"`)
    assert.notInclude(reviewer, `action="/work-items/${item.id}/cancellation"`)
    assert.notInclude(reviewer, `action="/work-items/${item.id}/block"`)
    const maintainer = await page('maintainer')
    for (const action of ['approval', 'cancellation', 'block', 'priority?_method=PUT', 'pin']) {
      assert.include(maintainer, `action="/work-items/${item.id}/${action}"`)
    }
  })

  test('a viewer cannot even see the New work item link', async ({ client, assert }) => {
    const viewer = await asUser(client, await userWithRole('viewer'), 'get', '/work-items')
    assert.notInclude(viewer.text(), 'href="/work-items/new')
    const maintainer = await asUser(client, await userWithRole('maintainer'), 'get', '/work-items')
    assert.include(maintainer.text(), 'href="/work-items/new')
  })
})

test.group('Creating work items', (group) => {
  group.each.setup(() => emptyWorld())

  test('a maintainer creates an item with payload and dependencies; it is audited with the IP and announced', async ({
    client,
    assert,
  }) => {
    const maintainer = await userWithRole('maintainer')
    const project = await ProjectFactory.create()
    const first = await WorkItemFactory.merge({ projectId: project.id }).create()
    const second = await WorkItemFactory.merge({ projectId: project.id }).create()

    const response = await asUser(client, maintainer, 'post', '/work-items', {
      project_id: project.id,
      work_type: 'fix_ci',
      title: '  Make the build green  ',
      payload: '{"issue": 42, "labels": ["ci"]}',
      priority: '50',
      max_attempts: '2',
      depends_on: `${first.id}, ${second.id}`,
    })

    const item = await WorkItem.query()
      .where('title', 'Make the build green')
      .preload('dependsOn')
      .firstOrFail()
    response.assertStatus(302)
    assert.equal(response.header('location'), `/work-items/${item.id}`)
    assert.deepEqual(
      [item.workType, item.priority, item.maxAttempts, item.source, item.status],
      ['fix_ci', 50, 2, 'manual', 'pending']
    )
    assert.deepEqual(item.payload, { issue: 42, labels: ['ci'] })
    assert.sameMembers(
      item.dependsOn.map((d) => d.id),
      [first.id, second.id]
    )
    const event = await AuditEvent.findByOrFail('action', 'work_item.created')
    assert.equal(event.actorType, 'user')
    assert.equal(event.actorId, maintainer.id)
    assert.equal(event.ipAddress, '127.0.0.1')
    assert.equal(event.subjectId, item.id)
  })

  test('invalid input comes back with a message per field, the input kept, and nothing written', async ({
    client,
    assert,
  }) => {
    const maintainer = await userWithRole('maintainer')
    const project = await ProjectFactory.create()
    const projectFactory = await ProjectFactory.create()
    const elsewhere = await WorkItemFactory.merge({
      projectId: projectFactory.id,
    }).create()
    const before = await counts()

    const response = await asUser(client, maintainer, 'post', '/work-items', {
      project_id: project.id,
      work_type: 'Not A Type!',
      title: '',
      payload: '{"issue": 42,',
      priority: 'high',
      max_attempts: '0',
      depends_on: `${elsewhere.id}`,
    }).header('referer', '/work-items/new')

    response.assertStatus(302)
    assert.equal(response.header('location'), '/work-items/new')
    const errors = fieldErrors(response)
    assert.properties(errors, [
      'work_type',
      'title',
      'payload',
      'priority',
      'max_attempts',
      'depends_on',
    ])
    assert.match(errors.payload[0], /not valid JSON/)
    assert.match(errors.depends_on[0], new RegExp(`No work item ${elsewhere.id} in this project`))
    assert.equal(response.flashMessage('payload'), '{"issue": 42,')
    assert.deepEqual(await counts(), before)
  })

  test('an archived project takes no new work', async ({ client, assert }) => {
    const project = await ProjectFactory.merge({ state: 'archived' }).create()
    const response = await asUser(client, await userWithRole('maintainer'), 'post', '/work-items', {
      project_id: project.id,
      work_type: 'code',
      title: 'Too late',
    })
    assert.property(fieldErrors(response), 'project_id')
    const workItems = await WorkItem.all()
    assert.equal(workItems.length, 0)
  })

  test('the form shows the refused input and its messages again', async ({ client, assert }) => {
    const maintainer = await userWithRole('maintainer')
    await ProjectFactory.create()
    await asUser(client, maintainer, 'post', '/work-items', { title: 'Keep me', payload: '[1, 2]' })
      .header('referer', '/work-items/new')
      .then(async (refused) => {
        const page = await client
          .get('/work-items/new')
          .loginAs(maintainer)
          .withSession(refused.session())
          .withFlashMessages(refused.flashMessages())
        const html = page.text()
        assert.include(html, 'value="Keep me"')
        assert.include(html, 'The payload must be a JSON object')
        assert.include(html, '[1, 2]')
      })
  })
})

test.group('Work item list', (group) => {
  group.each.setup(() => emptyWorld())

  test('filters by project, status and work type, newest first', async ({ client, assert }) => {
    const viewer = await userWithRole('viewer')
    const alpha = await ProjectFactory.create()
    const beta = await ProjectFactory.create()
    const wanted = await WorkItemFactory.merge({
      projectId: alpha.id,
      status: 'blocked',
      workType: 'docs',
      title: 'Wanted one',
    }).create()
    await WorkItemFactory.merge({
      projectId: alpha.id,
      status: 'pending',
      workType: 'docs',
      title: 'Wrong status',
    }).create()
    await WorkItemFactory.merge({
      projectId: beta.id,
      status: 'blocked',
      workType: 'docs',
      title: 'Wrong project',
    }).create()
    await WorkItemFactory.merge({
      projectId: alpha.id,
      status: 'blocked',
      workType: 'code',
      title: 'Wrong type',
    }).create()

    const html = await htmlOf(
      client,
      viewer,
      `/work-items?project=${alpha.id}&status=blocked&work_type=docs`
    )
    assert.include(html, 'Wanted one')
    for (const other of ['Wrong status', 'Wrong project', 'Wrong type'])
      assert.notInclude(html, other)
    assert.include(html, `href="/work-items/${wanted.id}"`)
  })

  test('pages by keyset: 50 per page, older and newer links keep the filters', async ({
    client,
    assert,
  }) => {
    const viewer = await userWithRole('viewer')
    const project = await ProjectFactory.create()
    const items = await WorkItemFactory.merge({ projectId: project.id }).createMany(60)
    const ids = items.map((item) => item.id).sort((a, b) => b - a)

    const first = await htmlOf(client, viewer, `/work-items?project=${project.id}`)
    assert.include(first, `href="/work-items/${ids[49]}"`)
    assert.notInclude(first, `href="/work-items/${ids[50]}"`)
    const older = `/work-items?project=${project.id}&amp;after=${ids[49]}`
    assert.include(first, `href="${older}"`)

    const second = await htmlOf(client, viewer, older.replace('&amp;', '&'))
    assert.include(second, `href="/work-items/${ids[50]}"`)
    assert.include(second, `href="/work-items/${ids[59]}"`)
    assert.notInclude(second, `href="/work-items/${ids[49]}"`)
    assert.include(second, `href="/work-items?project=${project.id}&amp;before=${ids[50]}"`)
    assert.notInclude(second, 'rel="next"')

    const back = await htmlOf(client, viewer, `/work-items?project=${project.id}&before=${ids[50]}`)
    assert.include(back, `href="/work-items/${ids[0]}"`)
    assert.include(back, `href="/work-items/${ids[49]}"`)
    assert.notInclude(back, 'rel="prev"')
  })

  test('a filter that is not a work type is refused with its message, not a 500', async ({
    client,
    assert,
  }) => {
    const viewer = await userWithRole('viewer')
    const response = await asUser(
      client,
      viewer,
      'get',
      '/work-items?work_type=DROP%20TABLE'
    ).header('referer', '/work-items')
    response.assertStatus(302)
    assert.property(fieldErrors(response), 'work_type')
  })
})

test.group('Work item detail and actions', (group) => {
  group.each.setup(() => emptyWorld())

  test('the detail page shows payload, dependencies, runs with gate results and the audit trail', async ({
    client,
    assert,
  }) => {
    const { item, run, project } = await claimedRun()
    const dependency = await WorkItemFactory.merge({
      projectId: project.id,
      title: 'Lay the foundation',
    }).create()
    await item.related('dependsOn').attach([dependency.id])
    await item.merge({ payload: { instructions: 'Refactor <the> parser' } }).save()
    await run
      .merge({
        gateStatus: 'failed',
        gateResults: [
          { gate: 'tests_reported', verdict: 'failed', reason: 'no tests were reported' },
        ],
      })
      .save()
    const reviewer = await userWithRole('reviewer')
    await item.block(await userWithRole('maintainer'), 'needs a decision', '10.0.0.7')

    const html = await htmlOf(client, reviewer, `/work-items/${item.id}`)
    assert.include(html, 'Refactor &lt;the&gt; parser')
    assert.include(html, 'Lay the foundation')
    assert.include(html, `href="/runs/${run.id}"`)
    assert.include(html, 'no tests were reported')
    assert.include(html, 'work_item.blocked')
    assert.include(html, 'needs a decision')
    assert.include(html, '10.0.0.7')
  })

  test('approving records who and when, audited with the IP', async ({ client, assert }) => {
    const reviewer = await userWithRole('reviewer')
    const item = await pendingItem()

    const response = await asUser(
      client,
      reviewer,
      'post',
      `/work-items/${item.id}/approval`
    ).header('referer', `/work-items/${item.id}`)

    response.assertStatus(302)
    assert.equal(response.header('location'), `/work-items/${item.id}`)
    await item.refresh()
    assert.equal(item.approvedByUserId, reviewer.id)
    const event = await AuditEvent.findByOrFail('action', 'work_item.approved')
    assert.equal(event.actorId, reviewer.id)
    assert.equal(event.ipAddress, '127.0.0.1')
  })

  test('blocking needs a reason: without one nothing changes', async ({ client, assert }) => {
    const maintainer = await userWithRole('maintainer')
    const item = await pendingItem()

    const refused = await asUser(client, maintainer, 'post', `/work-items/${item.id}/block`, {
      reason: '  ',
    })
    assert.property(fieldErrors(refused), 'reason')
    await item.refresh()
    assert.equal(item.status, 'pending')
    const auditEvents = await AuditEvent.query().where('action', 'work_item.blocked')
    assert.equal(auditEvents.length, 0)

    await asUser(client, maintainer, 'post', `/work-items/${item.id}/block`, {
      reason: 'waiting on legal',
    })
    await item.refresh()
    assert.equal(item.status, 'blocked')
    const event = await AuditEvent.findByOrFail('action', 'work_item.blocked')
    assert.equal(event.details.reason, 'waiting on legal')
  })

  test('reprioritise, pin and unpin change the item and are audited', async ({
    client,
    assert,
  }) => {
    const maintainer = await userWithRole('maintainer')
    const agent = await AgentFactory.create()
    const item = await pendingItem()

    await asUser(client, maintainer, 'put', `/work-items/${item.id}/priority`, { priority: '-5' })
    await asUser(client, maintainer, 'post', `/work-items/${item.id}/pin`, { agent_id: agent.id })
    await item.refresh()
    assert.equal(item.priority, -5)
    assert.equal(item.assignedAgentId, agent.id)
    await asUser(client, maintainer, 'delete', `/work-items/${item.id}/pin`)
    await item.refresh()
    assert.isNull(item.assignedAgentId)
    const auditEvents = await AuditEvent.query().where('subjectId', item.id).orderBy('id')
    const actions = auditEvents.map((e) => e.action)
    assert.deepEqual(actions, ['work_item.reprioritised', 'work_item.pinned', 'work_item.unpinned'])

    const refused = await asUser(client, maintainer, 'put', `/work-items/${item.id}/priority`, {
      priority: '1.5',
    })
    assert.property(fieldErrors(refused), 'priority')
  })

  test('pinning to an agent that does not accept the item’s work type is explained and changes nothing', async ({
    client,
    assert,
  }) => {
    const docsOnly = await AgentFactory.merge({
      key: 'docs-only',
      capabilities: { work_types: ['docs'], tags: [] },
    }).create()
    const item = await pendingItem({ workType: 'code' })

    const response = await asUser(
      client,
      await userWithRole('maintainer'),
      'post',
      `/work-items/${item.id}/pin`,
      { agent_id: docsOnly.id }
    )

    assert.equal(
      String(response.flashMessage('error')),
      'Agent docs-only does not accept work type "code".'
    )
    await item.refresh()
    assert.isNull(item.assignedAgentId)
  })

  test('a transition the item cannot make is explained on the page and changes nothing', async ({
    client,
    assert,
  }) => {
    const maintainer = await userWithRole('maintainer')
    const item = await pendingItem()

    const response = await asUser(
      client,
      maintainer,
      'post',
      `/work-items/${item.id}/requeue`
    ).header('referer', `/work-items/${item.id}`)

    response.assertStatus(302)
    assert.equal(response.header('location'), `/work-items/${item.id}`)
    assert.match(
      String(response.flashMessage('error')),
      /Only failed or cancelled items can be requeued/
    )
    await item.refresh()
    assert.equal(item.status, 'pending')
    const auditEvents = await AuditEvent.all()
    assert.equal(auditEvents.length, 0)
  })

  test('cancelling and requeueing go through the item’s lifecycle', async ({ client, assert }) => {
    const maintainer = await userWithRole('maintainer')
    const item = await pendingItem()
    await asUser(client, maintainer, 'post', `/work-items/${item.id}/cancellation`)
    await item.refresh()
    assert.equal(item.status, 'cancelled')
    await asUser(client, maintainer, 'post', `/work-items/${item.id}/requeue`)
    await item.refresh()
    assert.equal(item.status, 'pending')
  })

  test('a missing item is a 404 page', async ({ client, assert }) => {
    const response = await asUser(client, await userWithRole('viewer'), 'get', '/work-items/999999')
    response.assertStatus(404)
    assert.include(response.header('content-type'), 'text/html')
  })
})
