import { test } from '@japa/runner'
import type { ApiClient } from '@japa/api-client'
import db from '@adonisjs/lucid/services/db'
import Policy from '#models/policy'
import Run from '#models/run'
import WorkItem from '#models/work_item'
import { asUser, userWithRole } from '#tests/support/admin_pages'
import { emptyWorld } from '#tests/support/test_database'
import { ProjectFactory } from '#database/factories/project_factory'
import { WorkItemFactory } from '#database/factories/work_item_factory'
import { AgentFactory } from '#database/factories/agent_factory'
import { agentWithToken, claimedRun } from '#tests/support/claimed_run'

function claim(client: ApiClient, token: string) {
  return client.post('/api/v1/claims').bearerToken(token).json({})
}

test.group('Inbox', (group) => {
  group.each.setup(() => emptyWorld())

  test('an item that exhausted its attempts through gate rejections is failed with needs_human, in the inbox; requeue with a note puts the note in feedback', async ({
    client,
    assert,
  }) => {
    const project = await ProjectFactory.merge({ gatesConfig: { tests_reported: true } }).create()
    await Policy.create({ projectId: project.id, key: 'max_attempts', value: 1 })
    const item = await WorkItemFactory.apply('due')
      .merge({ projectId: project.id, title: 'Round the cart' })
      .create()
    const { token } = await agentWithToken(AgentFactory.create())
    const claimed = await claim(client, token)
    const runId = claimed.body().run.id
    await client
      .post(`/api/v1/runs/${runId}/complete`)
      .bearerToken(token)
      .json({ outcome: 'succeeded', tests: { passed: 3, failed: 2 } })
    await item.refresh()
    assert.equal(item.status, 'failed')
    assert.isNotNull(item.needsHumanAt)

    const maintainer = await userWithRole('maintainer', { email: 'mia@example.com' })
    const inbox = await asUser(client, maintainer, 'get', '/inbox')
    inbox.assertStatus(200)
    const page = inbox.text()
    assert.include(page, `id="needs-human-${item.id}"`)
    assert.include(page, 'tests_reported: 3 passed, 2 failed, 0 skipped', 'its last verdict')
    assert.include(page, 'aria-label="1 waiting"', 'the navigation counts it')

    const requeued = await asUser(client, maintainer, 'post', `/work-items/${item.id}/requeue`, {
      note: 'The rounding rule is half up; see docs/money.md',
    })
    requeued.assertStatus(302)
    await item.refresh()
    assert.equal(item.status, 'pending')
    assert.isNull(item.needsHumanAt)
    const after = await asUser(client, maintainer, 'get', '/inbox')
    assert.notInclude(after.text(), `id="needs-human-${item.id}"`)

    const again = await claim(client, token)
    again.assertStatus(201)
    const { feedback } = again.body()
    assert.containsSubset(feedback.notes, [
      { note: 'The rounding rule is half up; see docs/money.md', by: 'mia@example.com' },
    ])
    assert.equal(feedback.attempts[0].outcome, 'rejected')
    assert.equal(feedback.attempts[0].run_id, runId)
  })

  test('an agent-reported failure to the end is failed without needs_human', async ({
    client,
    assert,
  }) => {
    const project = await ProjectFactory.create()
    await Policy.create({ projectId: project.id, key: 'max_attempts', value: 1 })
    const item = await WorkItemFactory.apply('due').merge({ projectId: project.id }).create()
    const { token } = await agentWithToken(AgentFactory.create())
    const claimed = await claim(client, token)
    await client
      .post(`/api/v1/runs/${claimed.body().run.id}/complete`)
      .bearerToken(token)
      .json({ outcome: 'failed', error: 'no idea' })
    const failed = await WorkItem.findOrFail(item.id)
    assert.equal(failed.status, 'failed')
    assert.isNull(failed.needsHumanAt)
  })

  test('open questions and runs waiting for human review are listed with their action; a reviewer approves in place', async ({
    client,
    assert,
  }) => {
    const project = await ProjectFactory.merge({ gatesConfig: { human_review: true } }).create()
    const asking = await WorkItemFactory.apply('due')
      .merge({ projectId: project.id, title: 'Which currency?', priority: 10 })
      .create()
    const reviewed = await WorkItemFactory.apply('due')
      .merge({ projectId: project.id, title: 'Needs eyes', priority: 0 })
      .create()
    const first = await agentWithToken(AgentFactory.create())
    const second = await agentWithToken(AgentFactory.create())
    const askClaim = await claim(client, first.token)
    const askRun = askClaim.body().run.id
    await client
      .post(`/api/v1/runs/${askRun}/questions`)
      .bearerToken(first.token)
      .json({ question: 'EUR or USD?', choices: ['EUR', 'USD'] })
    const reviewRunAnswer = await claim(client, second.token)
    const reviewRun = reviewRunAnswer.body().run.id
    assert.equal(reviewRunAnswer.body().work_item.id, reviewed.id)
    await client
      .post(`/api/v1/runs/${reviewRun}/complete`)
      .bearerToken(second.token)
      .json({ outcome: 'succeeded', pr_url: 'https://github.com/acme/shop/pull/9' })

    const reviewer = await userWithRole('reviewer')
    const inbox = await asUser(client, reviewer, 'get', '/inbox')
    const page = inbox.text()
    assert.include(page, `id="question-`)
    assert.include(page, 'EUR or USD?')
    assert.include(page, `action="/work-items/${asking.id}/answer"`)
    assert.include(page, `id="review-${reviewRun}"`)
    assert.include(page, 'aria-label="2 waiting"')

    const approved = await asUser(client, reviewer, 'post', `/runs/${reviewRun}/review`, {
      decision: 'approved',
    })
    approved.assertStatus(302)
    const run = await Run.findOrFail(reviewRun)
    assert.equal(run.gateStatus, 'passed')
    const answered = await asUser(client, reviewer, 'post', `/work-items/${asking.id}/answer`, {
      answer: 'EUR',
    })
    answered.assertStatus(302)
    const empty = await asUser(client, reviewer, 'get', '/inbox')
    assert.notMatch(empty.text(), /aria-label="\d+ waiting"/, 'nothing left to count')
    const { rows } = await db.rawQuery(
      `select count(*)::int as n from questions where status = 'open'`
    )
    assert.equal(rows[0].n, 0)
  })

  test('projects past 80 % of their monthly budget are listed with this month’s spend', async ({
    client,
    assert,
  }) => {
    const near = await claimedRun({ gates: { monthly_budget_usd: 10 } })
    await near.run.merge({ costUsd: 8.5 }).save()
    const under = await claimedRun({ gates: { monthly_budget_usd: 10 } })
    await under.run.merge({ costUsd: 7.9 }).save()
    await near.project.merge({ name: 'Near budget' }).save()
    await under.project.merge({ name: 'Under budget' }).save()

    const page = await asUser(client, await userWithRole('viewer'), 'get', '/inbox')
    page.assertStatus(200)
    const section = page.text().split('Projects over 80 % of their monthly budget')[1]
    assert.include(section, 'Near budget')
    assert.include(section, '$8.50')
    assert.notInclude(section, 'Under budget')
  })
})
