import { test } from '@japa/runner'
import db from '@adonisjs/lucid/services/db'
import AuditEvent from '#models/audit_event'
import Policy from '#models/policy'
import Project from '#models/project'
import { ProjectFactory } from '#database/factories/project_factory'
import { WorkItemFactory } from '#database/factories/work_item_factory'
import {
  asUser,
  assertRoleGate,
  fieldErrors,
  userWithRole,
  leaveNothingBehind,
} from '#tests/support/admin_pages'
import { emptyWorld, setSettings } from '#tests/support/test_database'

let sequence = 0

/** A complete, valid project form as the page posts it (unticked checkboxes are simply absent). */
function projectForm(overrides: Record<string, unknown> = {}) {
  const slug = `project-${++sequence}`
  return {
    name: `Project ${sequence}`,
    slug,
    state: 'active',
    brief: 'Keep the lights on.',
    repo_full_name: `acme/${slug}`,
    repo_default_branch: 'main',
    github_token_secret_name: '',
    webhook_secret_name: '',
    e2e_required: 'true',
    gates: {
      wip_limit: '3',
      require_approval: 'true',
      monthly_budget_usd: '250.50',
      max_cost_usd: '',
      tests_reported: 'true',
      required_checks: 'build\nlint, unit',
      e2e_check_name: '',
      min_approvals: '1',
    },
    policies: {
      max_attempts: '5',
      lease_seconds: '',
      max_run_seconds: '',
      retry_backoff_seconds: '60',
      ci_timeout_minutes: '',
      merge_strategy: 'rebase',
      intake_label: '',
      report_to_github: '',
    },
    ...overrides,
  }
}

async function projectCount() {
  const row = await db.from('projects').count('* as n').first()
  return Number(row.n)
}

test.group('Projects pages: roles', (group) => {
  group.each.setup(() => emptyWorld())
  group.teardown(() => leaveNothingBehind())

  test('viewers read projects; only maintainers and admins create, edit and change state', async ({
    client,
    assert,
  }) => {
    const project = await ProjectFactory.create()
    await assertRoleGate(client, assert, { method: 'get', url: '/projects', minimumRole: 'viewer' })
    await assertRoleGate(client, assert, {
      method: 'get',
      url: `/projects/${project.id}`,
      minimumRole: 'viewer',
    })
    await assertRoleGate(client, assert, {
      method: 'get',
      url: '/projects/new',
      minimumRole: 'maintainer',
    })
    await assertRoleGate(client, assert, {
      method: 'post',
      url: '/projects',
      form: () => projectForm(),
      minimumRole: 'maintainer',
    })
    await assertRoleGate(client, assert, {
      method: 'get',
      url: `/projects/${project.id}/edit`,
      minimumRole: 'maintainer',
    })
    await assertRoleGate(client, assert, {
      method: 'put',
      url: `/projects/${project.id}`,
      form: () => projectForm({ slug: project.slug }),
      minimumRole: 'maintainer',
    })
    await assertRoleGate(client, assert, {
      method: 'put',
      url: `/projects/${project.id}/state`,
      form: () => ({ state: 'paused' }),
      minimumRole: 'maintainer',
    })
  })

  test('the project page shows edit buttons only to roles that may use them', async ({
    client,
    assert,
  }) => {
    const project = await ProjectFactory.create()
    const asViewer = await asUser(
      client,
      await userWithRole('reviewer'),
      'get',
      `/projects/${project.id}`
    )
    assert.notInclude(asViewer.text(), `/projects/${project.id}/edit`)
    assert.notInclude(asViewer.text(), 'Add integration')
    const asMaintainer = await asUser(
      client,
      await userWithRole('maintainer'),
      'get',
      `/projects/${project.id}`
    )
    assert.include(asMaintainer.text(), `/projects/${project.id}/edit`)
    assert.include(asMaintainer.text(), 'Add integration')
  })

  test('an unknown project is a 404 page', async ({ client, assert }) => {
    const response = await asUser(client, await userWithRole('viewer'), 'get', '/projects/999999')
    response.assertStatus(404)
    assert.include(response.text(), 'Not found')
  })
})

test.group('Projects pages: create and edit', (group) => {
  group.each.setup(() => emptyWorld())
  group.teardown(() => leaveNothingBehind())

  test('creating a project stores typed gates and policies, and is audited with the IP', async ({
    client,
    assert,
  }) => {
    const maintainer = await userWithRole('maintainer')

    const response = await asUser(
      client,
      maintainer,
      'post',
      '/projects',
      projectForm({ slug: 'Billing-API' })
    )

    response.assertStatus(302)
    const project = await Project.findByOrFail('slug', 'billing-api')
    assert.equal(response.header('location'), `/projects/${project.id}`)
    assert.equal(project.state, 'active')
    assert.isTrue(project.e2ERequired)
    assert.deepEqual(project.gatesConfig, {
      wip_limit: 3,
      require_approval: true,
      monthly_budget_usd: 250.5,
      tests_reported: true,
      required_checks: ['build', 'lint', 'unit'],
      min_approvals: 1,
    })
    assert.deepEqual(await Policy.ownValues(project.id), {
      max_attempts: 5,
      merge_strategy: 'rebase',
      retry_backoff_seconds: 60,
    })
    const event = await AuditEvent.findByOrFail('action', 'project.created')
    assert.equal(event.actorId, maintainer.id)
    assert.equal(event.projectId, project.id)
    assert.equal(event.ipAddress, '127.0.0.1')
  })

  test('protected_paths: globs one per line, blank for the default, none for an empty list (the gate off)', async ({
    client,
    assert,
  }) => {
    const maintainer = await userWithRole('maintainer')
    const form = (slug: string, globs: string) =>
      projectForm({ slug, policies: { ...projectForm().policies, protected_paths: globs } })

    await asUser(client, maintainer, 'post', '/projects', form('globs', 'infra/**\n.github/**'))
    await asUser(client, maintainer, 'post', '/projects', form('blank', ''))
    await asUser(client, maintainer, 'post', '/projects', form('off', 'none'))

    const own = async (slug: string) => {
      const project = await Project.findByOrFail('slug', slug)
      const values = await Policy.ownValues(project.id)
      return values.protected_paths
    }
    assert.deepEqual(await own('globs'), ['infra/**', '.github/**'])
    assert.isUndefined(await own('blank'))
    assert.deepEqual(await own('off'), [])
    const off = await Project.findByOrFail('slug', 'off')
    const page = await asUser(client, maintainer, 'get', `/projects/${off.id}/edit`)
    page.assertTextIncludes('>none</textarea>')
  })

  test('ill-typed values are refused per field and nothing is created', async ({
    client,
    assert,
  }) => {
    const form = projectForm({
      slug: 'Not A Slug!',
      repo_full_name: 'no-slash',
      gates: { wip_limit: 'three', monthly_budget_usd: '-5', required_checks: 'x'.repeat(101) },
      policies: {
        max_attempts: '0',
        lease_seconds: '5',
        merge_strategy: 'yolo',
        report_to_github: 'maybe',
      },
    })

    const response = await asUser(
      client,
      await userWithRole('admin'),
      'post',
      '/projects',
      form
    ).header('referer', '/projects/new')

    response.assertStatus(302)
    assert.equal(response.header('location'), '/projects/new')
    assert.includeMembers(Object.keys(fieldErrors(response)), [
      'slug',
      'repo_full_name',
      'gates.wip_limit',
      'gates.monthly_budget_usd',
      'gates.required_checks.0',
      'policies.max_attempts',
      'policies.lease_seconds',
      'policies.merge_strategy',
      'policies.report_to_github',
    ])
    assert.equal(response.flashMessage('slug'), 'Not A Slug!', 'the input is kept')
    assert.equal(await projectCount(), 0)
    assert.isNull(await AuditEvent.findBy('action', 'project.created'))
  })

  test('unknown gate or policy keys are refused with a clear message', async ({
    client,
    assert,
  }) => {
    const form = projectForm()
    const response = await asUser(client, await userWithRole('admin'), 'post', '/projects', {
      ...form,
      gates: { ...form.gates, auto_merge: 'true' },
      policies: { ...form.policies, yolo_mode: '1' },
    })

    assert.deepEqual(fieldErrors(response).gates, ['Unknown gates key: auto_merge.'])
    assert.deepEqual(fieldErrors(response).policies, ['Unknown policies key: yolo_mode.'])
    assert.equal(await projectCount(), 0)
  })

  test("Gatehouse's own configuration cannot be named as a project's secret", async ({
    client,
    assert,
  }) => {
    const response = await asUser(client, await userWithRole('admin'), 'post', '/projects', {
      ...projectForm(),
      github_token_secret_name: 'APP_KEY',
      webhook_secret_name: 'DATABASE_URL',
    })

    assert.deepEqual(fieldErrors(response).github_token_secret_name, [
      "APP_KEY configures Gatehouse itself and cannot be a project's secret",
    ])
    assert.property(fieldErrors(response), 'webhook_secret_name')
    assert.equal(await projectCount(), 0)
  })

  test('a taken slug is refused on create, but a project keeps its own slug on edit', async ({
    client,
    assert,
  }) => {
    const taken = await ProjectFactory.merge({ slug: 'taken' }).create()
    const maintainer = await userWithRole('maintainer')

    const clash = await asUser(
      client,
      maintainer,
      'post',
      '/projects',
      projectForm({ slug: 'taken' })
    )
    assert.property(fieldErrors(clash), 'slug')

    const edit = await asUser(
      client,
      maintainer,
      'put',
      `/projects/${taken.id}`,
      projectForm({ slug: 'taken', name: 'Renamed' })
    )
    assert.deepEqual(fieldErrors(edit), {})
    await taken.refresh()
    assert.equal(taken.name, 'Renamed')
  })

  test('concurrent creates of one slug make exactly one project; the others get a field error, never a 500', async ({
    client,
    assert,
  }) => {
    const maintainer = await userWithRole('maintainer')

    const responses = await Promise.all(
      Array.from({ length: 12 }, () =>
        asUser(client, maintainer, 'post', '/projects', projectForm({ slug: 'contested' })).header(
          'referer',
          '/projects/new'
        )
      )
    )

    const statuses = responses.map((response) => response.status())
    assert.deepEqual([...new Set(statuses)], [302], 'every answer is a redirect')
    const refused = responses.filter((response) => 'slug' in fieldErrors(response))
    assert.lengthOf(refused, 11)
    assert.equal(await projectCount(), 1)
    assert.lengthOf(await AuditEvent.query().where('action', 'project.created'), 1)
  })

  test('editing replaces gates and policies: cleared fields fall back to defaults; audited', async ({
    client,
    assert,
  }) => {
    const maintainer = await userWithRole('maintainer')
    await asUser(client, maintainer, 'post', '/projects', projectForm({ slug: 'edit-me' }))
    const project = await Project.findByOrFail('slug', 'edit-me')

    const form = projectForm({ slug: 'edit-me' })
    const response = await asUser(client, maintainer, 'put', `/projects/${project.id}`, {
      ...form,
      e2e_required: undefined,
      gates: { wip_limit: '', human_review: 'true', max_cost_usd: '2.5', required_checks: '' },
      policies: {
        ...form.policies,
        max_attempts: '',
        merge_strategy: '',
        report_to_github: 'false',
      },
    })

    response.assertStatus(302)
    await project.refresh()
    assert.isFalse(project.e2ERequired, 'an unticked checkbox turns the option off')
    assert.deepEqual(project.gatesConfig, { human_review: true, max_cost_usd: 2.5 })
    assert.deepEqual(await Policy.ownValues(project.id), {
      report_to_github: false,
      retry_backoff_seconds: 60,
    })
    const policy = await Policy.forProject(project.id)
    assert.equal(policy.max_attempts, 3, 'back to the default')
    const event = await AuditEvent.findByOrFail('action', 'project.updated')
    assert.includeMembers(event.details.changed as string[], [
      'gatesConfig',
      'e2ERequired',
      'policies',
    ])
  })

  test('the edit form re-renders refused nested input with its message', async ({
    client,
    assert,
  }) => {
    const project = await ProjectFactory.create()
    const response = await client
      .get(`/projects/${project.id}/edit`)
      .loginAs(await userWithRole('maintainer'))
      .withFlashMessages({
        inputErrorsBag: { 'gates.wip_limit': ['The wip_limit field must be a number'] },
        name: 'Typed name',
        gates: { wip_limit: 'three', require_approval: 'true' },
        policies: { merge_strategy: 'rebase' },
      })
    const html = response.text()
    assert.include(html, 'The wip_limit field must be a number')
    assert.include(html, 'name="gates[wip_limit]" type="number" value="three"')
    assert.include(html, 'value="Typed name"')
    assert.match(html, /name="gates\[require_approval\]" value="true" checked/)
    assert.include(html, '<option value="rebase" selected>')
  })

  test('state changes are audited; an unknown state is refused', async ({ client, assert }) => {
    const project = await ProjectFactory.create()
    const maintainer = await userWithRole('maintainer')

    await asUser(client, maintainer, 'put', `/projects/${project.id}/state`, { state: 'paused' })
    await project.refresh()
    assert.equal(project.state, 'paused')
    const event = await AuditEvent.findByOrFail('action', 'project.state_changed')
    assert.deepEqual(event.details, { from: 'active', to: 'paused' })

    const bad = await asUser(client, maintainer, 'put', `/projects/${project.id}/state`, {
      state: 'exploded',
    })
    assert.property(fieldErrors(bad), 'state')
    await project.refresh()
    assert.equal(project.state, 'paused')
  })
})

test.group('Projects pages: why is nothing being claimed', (group) => {
  group.each.setup(() => emptyWorld())
  group.teardown(() => leaveNothingBehind())

  test('the project page shows each closed gate with its reason', async ({ client, assert }) => {
    await setSettings({ agents_enabled: false })
    const project = await ProjectFactory.merge({
      state: 'paused',
      gatesConfig: {
        wip_limit: 3,
        monthly_budget_usd: 0,
        require_approval: true,
        default_branch_green: true,
      },
      defaultBranchStatus: 'failing',
    }).create()
    for (let index = 0; index < 3; index++) {
      await WorkItemFactory.merge({ projectId: project.id, status: 'in_progress' }).create()
    }
    await WorkItemFactory.merge({
      projectId: project.id,
      status: 'pending',
      approvedAt: null,
    }).create()

    const response = await asUser(
      client,
      await userWithRole('viewer'),
      'get',
      `/projects/${project.id}`
    )

    const html = response.text()
    assert.include(html, 'Agents are disabled by the kill switch (Settings).')
    assert.include(html, 'Project is paused.')
    assert.include(html, '3 of 3 items in progress or verifying.')
    assert.include(html, '$0.00 of $0.00 spent this month (UTC).')
    assert.include(html, 'The only pending item is awaiting approval.')
    assert.include(html, 'Default branch is failing: only fix_ci items are claimable.')
    assert.match(html, /data-gate="wip_limit" data-state="closed"/)
    assert.match(html, /data-gate="default_branch_green" data-state="restricted"/)
  })
})
