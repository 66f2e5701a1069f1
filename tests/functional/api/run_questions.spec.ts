import { test } from '@japa/runner'
import type { ApiClient } from '@japa/api-client'
import Question from '#models/question'
import Run from '#models/run'
import AuditEvent from '#models/audit_event'
import { AgentFactory } from '#database/factories/agent_factory'
import { WorkItemFactory } from '#database/factories/work_item_factory'
import { claimedRun, tokenFor } from '#tests/support/claimed_run'
import { asUser, userWithRole } from '#tests/support/admin_pages'
import {
  deliver,
  fakeGitHubGroup,
  githubProject,
  jobsOf,
  clearJobs,
  EXAMPLE_REPO,
} from '#tests/support/github_world'
import { webhookExample } from '#tests/support/fake_github/recorded_shapes'
import processGitHubWebhook from '#jobs/process_github_webhook'
import postQuestionToGitHub from '#jobs/post_question_to_github'
import answerQuestionFromGitHub from '#jobs/answer_question_from_github'
import { emptyWorld } from '#tests/support/test_database'

function ask(client: ApiClient, token: string, runId: number, body: Record<string, unknown>) {
  return client.post(`/api/v1/runs/${runId}/questions`).bearerToken(token).json(body)
}

const QUESTION = {
  question: 'Should the cart round half up or half even?',
  choices: ['half up', 'half even'],
  context: { file: 'app/cart.ts' },
}

test.group('Agents ask: POST /api/v1/runs/:id/questions', (group) => {
  group.each.setup(() => emptyWorld())

  test('the run ends needs_input (not an attempt), the item waits blocked; the same request again answers the same', async ({
    client,
    assert,
  }) => {
    const { run, item, token } = await claimedRun()

    const asked = await ask(client, token, run.id, QUESTION)
    asked.assertStatus(201)
    assert.containsSubset(asked.body(), {
      run: { id: run.id, status: 'needs_input' },
      work_item: { id: item.id, status: 'blocked' },
      question: { status: 'open', ...QUESTION },
    })
    await item.refresh()
    await run.refresh()
    assert.equal(item.status, 'blocked')
    assert.equal(item.attempts, 0, 'asking is not an attempt')
    assert.isNull(item.lockedByAgentId)
    assert.equal(run.status, 'needs_input')
    assert.isNotNull(run.finishedAt)

    const again = await ask(client, token, run.id, QUESTION)
    again.assertStatus(200)
    assert.equal(again.body().question.id, asked.body().question.id)
    assert.lengthOf(await Question.all(), 1)

    const other = await ask(client, token, run.id, { question: 'Something else?' })
    other.assertStatus(409)
    const complete = await client
      .post(`/api/v1/runs/${run.id}/complete`)
      .bearerToken(token)
      .json({ outcome: 'succeeded' })
    complete.assertStatus(409)
    assert.lengthOf(await AuditEvent.query().where('action', 'question.asked'), 1)
  })

  test('answered on the item page by a reviewer: the item is pending again and the next claim carries the conversation', async ({
    client,
    assert,
  }) => {
    const { run, item, token, agent } = await claimedRun()
    await ask(client, token, run.id, QUESTION)

    const viewer = await userWithRole('viewer')
    const refused = await asUser(client, viewer, 'post', `/work-items/${item.id}/answer`, {
      answer: 'half up',
    })
    refused.assertStatus(403)

    const reviewer = await userWithRole('reviewer', { email: 'rita@example.com' })
    const page = await asUser(client, reviewer, 'get', `/work-items/${item.id}`)
    page.assertStatus(200)
    assert.include(page.text(), QUESTION.question)
    assert.include(page.text(), 'value="half even"', 'the choices are offered as buttons')

    const answered = await asUser(client, reviewer, 'post', `/work-items/${item.id}/answer`, {
      answer: 'half up',
    })
    answered.assertStatus(302)
    await item.refresh()
    assert.equal(item.status, 'pending')

    const claimed = await client.post('/api/v1/claims').bearerToken(token).json({})
    claimed.assertStatus(201)
    assert.equal(claimed.body().work_item.id, item.id)
    assert.equal(claimed.body().run.attempt, 1, 'the question cost no attempt')
    const [entry] = claimed.body().conversation
    assert.containsSubset(entry, {
      question: QUESTION.question,
      choices: QUESTION.choices,
      context: QUESTION.context,
      answer: 'half up',
      asked_by: agent.key,
      answered_by: 'rita@example.com',
    })
    assert.isString(entry.at)
    assert.isString(entry.answered_at)

    const twice = await asUser(client, reviewer, 'post', `/work-items/${item.id}/answer`, {
      answer: 'half even',
    })
    twice.assertStatus(302)
    const kept = await Question.findByOrFail('workItemId', item.id)
    assert.equal(kept.answer, 'half up', 'no open question left: the second answer changes nothing')
  })
})

test.group('Agents ask: GitHub items', (group) => {
  const github = fakeGitHubGroup(group, { jobs: true })

  async function askedOnIssue(client: ApiClient) {
    const project = await githubProject()
    github.fake.issue(EXAMPLE_REPO, { number: 42, title: 'Cart rounding' })
    const item = await WorkItemFactory.merge({
      projectId: project.id,
      source: 'github',
      externalRef: 'github:issue:42',
      status: 'pending',
    }).create()
    const agent = await AgentFactory.create()
    const token = await tokenFor(agent)
    const claimed = await client.post('/api/v1/claims').bearerToken(token).json({})
    claimed.assertStatus(201)
    await clearJobs()
    const asked = await ask(client, token, claimed.body().run.id, QUESTION)
    asked.assertStatus(201)
    return { project, item }
  }

  /** An issue_comment webhook for issue 42 by `login`. */
  async function comment(login: string, body: string) {
    const payload = webhookExample('issue_comment', 'created')
    payload.issue.number = 42
    payload.comment.body = body
    payload.comment.user.login = login
    payload.comment.user.type = 'User'
    payload.comment.id = Math.floor(Math.random() * 1e9)
    const delivered = await deliver('issue_comment', payload)
    for (const job of await jobsOf('process_github_webhook'))
      await processGitHubWebhook(job.payload)
    for (const job of await jobsOf('answer_question_from_github'))
      await answerQuestionFromGitHub(job.payload)
    await clearJobs()
    return delivered
  }

  test('the question is posted on the issue; /answer from a reader is ignored, from a writer answers it', async ({
    client,
    assert,
  }) => {
    const { item } = await askedOnIssue(client)
    const [job] = await jobsOf('post_question_to_github')
    await postQuestionToGitHub(job.payload)
    await postQuestionToGitHub(job.payload)
    const posted = github.fake.comments(EXAMPLE_REPO, 42)
    assert.lengthOf(posted, 1, 'posted once, however often the job runs')
    assert.include(posted[0].body, QUESTION.question)
    assert.include(posted[0].body, '/answer')
    await clearJobs()

    github.fake.permission(EXAMPLE_REPO, 'reader', 'read')
    github.fake.permission(EXAMPLE_REPO, 'writer', 'write')

    const fromReader = await comment('reader', '/answer half even')
    assert.equal(fromReader.status, 202)
    await item.refresh()
    assert.equal(item.status, 'blocked', 'a reader cannot answer')
    assert.lengthOf(await AuditEvent.query().where('action', 'question.answer_ignored'), 1)

    await comment('writer', 'a plain comment, not an answer')
    await item.refresh()
    assert.equal(item.status, 'blocked')

    await comment('writer', '/answer half up')
    await item.refresh()
    assert.equal(item.status, 'pending')
    const question = await Question.findByOrFail('workItemId', item.id)
    assert.equal(question.status, 'answered')
    assert.equal(question.answer, 'half up')
    assert.equal(question.answeredByLogin, 'writer')
    const checked = github.fake.requestsTo('GET', /\/collaborators\/(reader|writer)\/permission$/)
    assert.lengthOf(checked, 2, 'each author was checked through the API')
    const run = await Run.findByOrFail('workItemId', item.id)
    assert.equal(run.status, 'needs_input')
    assert.equal(item.attempts, 0)
  })
})
