import { test } from '@japa/runner'
import type Run from '#models/run'
import WorkItem from '#models/work_item'
import { ProjectFactory } from '#database/factories/project_factory'
import { AgentFactory } from '#database/factories/agent_factory'
import { claimedRun, tokenFor } from '#tests/support/claimed_run'
import { userWithRole } from '#tests/support/admin_pages'
import { emptyWorld } from '#tests/support/test_database'

/** The agent API, called as an agent would (the server under test is this process). */
async function agentApi(token: string, path: string, body: unknown = {}) {
  const response = await fetch(`http://${process.env.HOST}:${process.env.PORT}/api/v1${path}`, {
    method: 'POST',
    headers: { 'authorization': `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  })
  return {
    status: response.status,
    body: (response.status === 204 ? null : await response.json()) as any,
  }
}

test.group('Operating agents, work items and runs in the browser', (group) => {
  group.each.setup(() => emptyWorld())

  test('a maintainer registers an agent and issues a token, shown once and gone on reload', async ({
    visit,
    browserContext,
    assert,
  }) => {
    await browserContext.loginAs(await userWithRole('maintainer'))
    const page = await visit('/agents')
    await page.getByRole('link', { name: 'Register an agent' }).click()
    await page.fill('#field-key', 'night-shift')
    await page.fill('#field-name', 'Night shift')
    await page.fill('#field-work_types', 'code, docs')
    await page.fill('#field-max_concurrency', '2')
    await page.getByRole('button', { name: 'Register agent' }).click()
    await page.waitForURL(/\/agents\/\d+$/)
    await page.assertTextContains('h1', 'night-shift')

    await page.fill('#field-name', 'ci runner')
    await page.getByRole('button', { name: 'Issue token' }).click()
    const token = (await page.locator('#issued-token').textContent())!.trim()
    assert.match(token, /^gha_[\w-]+\.[\w-]+$/)
    const answer = await fetch(`http://${process.env.HOST}:${process.env.PORT}/api/v1/agent`, {
      headers: { authorization: `Bearer ${token}` },
    })
    assert.equal(answer.status, 200)

    await page.reload()
    assert.equal(await page.locator('#issued-token').count(), 0)
    assert.notInclude(await page.content(), token)
    await page.assertTextContains('.tokens', 'ci runner')
  })

  test('items created and approved in the pages are claimed through the API; the run’s logs appear live', async ({
    visit,
    browserContext,
    assert,
  }) => {
    const project = await ProjectFactory.merge({
      name: 'Storefront',
      gatesConfig: { require_approval: true },
    }).create()
    const agent = await AgentFactory.merge({ key: 'claimer' }).create()
    const token = await tokenFor(agent)
    await browserContext.loginAs(await userWithRole('maintainer'))

    const page = await visit('/work-items/new')
    for (const title of ['Waits for approval', 'Approved first']) {
      await page.goto('/work-items/new')
      await page.selectOption('#field-project_id', String(project.id))
      await page.fill('#field-title', title)
      await page.fill('#field-payload', '{"issue": 12}')
      await page.getByRole('button', { name: 'Create work item' }).click()
      await page.waitForURL(/\/work-items\/\d+$/)
    }
    await page.getByRole('button', { name: 'Approve' }).click()
    await page.assertTextContains('.flash-success', 'Approved work item')

    const claim = await agentApi(token, '/claims', {})
    assert.equal(claim.status, 201)
    assert.equal(claim.body.work_item.title, 'Approved first')
    const runId = claim.body.run.id

    await page.goto('/runs')
    await page.getByRole('link', { name: `#${runId}` }).click()
    await page.waitForURL(new RegExp(`/runs/${runId}$`))
    await page.assertTextContains('#run-log-state', 'Following live')

    const logged = await agentApi(token, `/runs/${runId}/logs`, {
      lines: [
        { level: 'info', message: 'cloning acme/storefront' },
        { level: 'error', message: 'test suite failed <once>' },
      ],
    })
    assert.equal(logged.status, 202)
    await page
      .locator('#run-log .log-line', { hasText: 'test suite failed <once>' })
      .waitFor({ timeout: 5000 })
    assert.deepEqual(await page.locator('#run-log .log-message').allTextContents(), [
      'cloning acme/storefront',
      'test suite failed <once>',
    ])

    await agentApi(token, `/runs/${runId}/logs`, {
      lines: [{ level: 'info', message: 'all green now' }],
    })
    await page
      .locator('#run-log .log-line', { hasText: 'all green now' })
      .waitFor({ timeout: 5000 })
    await agentApi(token, `/runs/${runId}/complete`, { outcome: 'succeeded' })
    await page.assertTextContains('#run-log-state', 'The run ended')
    const workItem = await WorkItem.findByOrFail('title', 'Waits for approval')
    assert.equal(workItem.status, 'pending')
  })

  test('a run cancelled in the pages is told to stop on the agent’s next heartbeat', async ({
    visit,
    browserContext,
    assert,
  }) => {
    const { run, token } = await claimedRun()
    await browserContext.loginAs(await userWithRole('maintainer'))

    const before = await agentApi(token, `/runs/${run.id}/heartbeat`)
    assert.isFalse(before.body.cancel_requested)
    const page = await visit(`/runs/${run.id}`)
    await page.getByRole('button', { name: 'Cancel run' }).click()
    await page.assertTextContains('.flash-success', `the agent is told to stop run #${run.id}`)
    assert.include(await page.locator('.page-header').first().innerText(), 'stop requested')
    assert.equal(await page.getByRole('button', { name: 'Cancel run' }).count(), 0)

    const after = await agentApi(token, `/runs/${run.id}/heartbeat`)
    assert.equal(after.status, 200)
    assert.isTrue(after.body.cancel_requested)
    await run.refresh()
    assert.equal((run as Run).status, 'running')
  })
})
