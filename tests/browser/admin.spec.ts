import { test } from '@japa/runner'
import Policy from '#models/policy'
import Project from '#models/project'
import Setting from '#models/setting'
import { AgentFactory } from '#database/factories/agent_factory'
import { WorkItemFactory } from '#database/factories/work_item_factory'
import { claimedRun } from '#tests/support/claimed_run'
import { PASSWORD, userWithRole, leaveNothingBehind } from '#tests/support/admin_pages'
import { emptyWorld, setSettings } from '#tests/support/test_database'

test.group('Admin pages in a browser', (group) => {
  group.each.setup(() => emptyWorld())
  group.teardown(() => leaveNothingBehind())

  test('a user logs in with the form and lands on the page they asked for', async ({ visit }) => {
    await userWithRole('viewer', { email: 'vera@example.com', fullName: 'Vera Viewer' })

    const page = await visit('/projects')
    await page.assertPath('/login')
    await page.getByLabel('Email').fill('vera@example.com')
    await page.getByLabel('Password').fill('wrong password')
    await page.getByRole('button', { name: 'Log in' }).click()
    await page.assertTextContains('.flash-error', 'Wrong email or password.')
    await page.assertInputValue('#field-email', 'vera@example.com')

    await page.getByLabel('Password').fill(PASSWORD)
    await page.getByRole('button', { name: 'Log in' }).click()
    await page.assertPath('/projects')
    await page.assertTextContains('.whoami', 'Vera Viewer')
    await page.assertNotExists('a[href="/projects/new"]')

    await page.getByRole('button', { name: 'Log out' }).click()
    await page.assertPath('/login')
  })

  test('a maintainer creates a project with gates and policies, fixing a refused field on the way', async ({
    visit,
    browserContext,
    assert,
  }) => {
    await browserContext.loginAs(await userWithRole('maintainer'))

    const page = await visit('/projects/new')
    await page.getByRole('textbox', { name: 'Name', exact: true }).fill('Billing API')
    await page.getByLabel('Slug').fill('billing-api')
    await page.getByLabel('GitHub repository').fill('acme/billing')
    await page.getByLabel('Start as').selectOption('active')
    await page.getByLabel('WIP limit').fill('3')
    await page.getByLabel('Only approved items are claimable').check()
    await page.getByLabel('The agent reported tests with zero failures').check()
    await page.getByLabel('Required GitHub checks').fill('build\nlint')
    await page.getByLabel('Max attempts per item').fill('5')
    await page.getByLabel('Merge strategy').selectOption('rebase')
    // Out of range: the server refuses it and the form comes back with everything kept.
    await page.getByLabel('Lease (seconds)').fill('5')
    await page.getByRole('button', { name: 'Create project' }).click()

    await page.assertPath('/projects/new')
    await page.assertTextContains('#field-policies-lease_seconds-error', 'lease_seconds')
    await page.assertInputValue('#field-slug', 'billing-api')
    await page.assertInputValue('#field-gates-wip_limit', '3')
    await page.assertChecked('#field-gates-require_approval')
    assert.equal(
      await Project.query()
        .count('* as n')
        .first()
        .then((row) => Number(row!.$extras.n)),
      0
    )

    await page.getByLabel('Lease (seconds)').fill('900')
    await page.getByRole('button', { name: 'Create project' }).click()

    await page.assertPathMatches(/^\/projects\/\d+$/)
    await page.assertTextContains('h1', 'Billing API')
    await page.assertTextContains('.flash-success', 'Project Billing API created.')
    const project = await Project.findByOrFail('slug', 'billing-api')
    assert.deepEqual(project.gatesConfig, {
      wip_limit: 3,
      require_approval: true,
      tests_reported: true,
      required_checks: ['build', 'lint'],
    })
    assert.deepEqual(await Policy.ownValues(project.id), {
      lease_seconds: 900,
      max_attempts: 5,
      merge_strategy: 'rebase',
    })
    await page.assertTextContains(
      '[data-gate="wip_limit"]',
      '0 of 3 items in progress or verifying.'
    )
  })

  test('an admin flips the kill switch and the dashboard explains why nothing is claimed', async ({
    visit,
    browserContext,
    assert,
  }) => {
    await AgentFactory.create()
    await browserContext.loginAs(await userWithRole('admin'))

    const dashboard = await visit('/')
    await dashboard.assertTextContains('#why', 'Every gate is open')

    await dashboard.getByRole('link', { name: 'Settings' }).click()
    await dashboard.assertPath('/settings')
    await dashboard.getByLabel('Agents may claim work').uncheck()
    await dashboard.getByRole('button', { name: 'Save settings' }).click()
    await dashboard.assertTextContains('.flash-success', 'Settings saved.')
    const settings = await Setting.current()
    assert.isFalse(settings.agents_enabled)

    await dashboard.getByRole('link', { name: 'Dashboard' }).click()
    await dashboard.assertTextContains('#why', 'Why is nothing being claimed?')
    await dashboard.assertTextContains(
      '[data-gate="kill_switch"]',
      'Agents are disabled by the kill switch (Settings).'
    )
  })
})

test.group('Admin pages on a laptop and a phone', (group) => {
  group.each.setup(() => emptyWorld())
  group.teardown(() => leaveNothingBehind())

  test('pages fit the screen without sideways scrolling (screenshots in tmp/screenshots)', async ({
    visit,
    browserContext,
    assert,
  }) => {
    const { project } = await claimedRun({
      gates: { wip_limit: 1, require_approval: true, tests_reported: true },
    })
    await WorkItemFactory.merge({ projectId: project.id, status: 'pending' }).create()
    await setSettings({ agents_enabled: false, max_parallel_runs: 4 })
    await browserContext.loginAs(await userWithRole('admin'))

    const pages = {
      'dashboard': '/',
      'projects': '/projects',
      'project': `/projects/${project.id}`,
      'project-form': `/projects/${project.id}/edit`,
      'settings': '/settings',
      'users': '/users',
    }
    for (const [device, viewport] of Object.entries({
      laptop: { width: 1280, height: 800 },
      phone: { width: 390, height: 844 },
    })) {
      for (const [name, url] of Object.entries(pages)) {
        const page = await visit(url)
        await page.setViewportSize(viewport)
        // Runs in the page, where the DOM exists (this project's TypeScript has no DOM types).
        const overflow = await page.evaluate<number>(
          'document.documentElement.scrollWidth - window.innerWidth'
        )
        assert.isAtMost(overflow, 0, `${name} on a ${device} scrolls sideways by ${overflow}px`)
        await page.screenshot({ path: `tmp/screenshots/${device}-${name}.png`, fullPage: true })
        await page.close()
      }
    }
  })
})
