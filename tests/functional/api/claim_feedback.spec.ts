import { test } from '@japa/runner'
import type { ApiClient } from '@japa/api-client'
import db from '@adonisjs/lucid/services/db'
import Run from '#models/run'
import WorkItem from '#models/work_item'
import RunFeedback, { MAX_ATTEMPT_TEXT_BYTES } from '#services/runs/run_feedback'
import RunLifecycle from '#services/runs/run_lifecycle'
import { AgentFactory } from '#database/factories/agent_factory'
import { WorkItemFactory } from '#database/factories/work_item_factory'
import { claimedRun, tokenFor } from '#tests/support/claimed_run'
import { githubProject, fakeGitHubGroup, EXAMPLE_REPO } from '#tests/support/github_world'

const SHA = 'ec26c3e57ca3a959ca5aad62de7213c562f8c821'
const PR = 7
const PR_URL = `https://github.com/${EXAMPLE_REPO}/pull/${PR}`

function claim(client: ApiClient, token: string) {
  return client.post('/api/v1/claims').bearerToken(token).json({})
}

/** The retry backoff is not under test here: the item is claimable again at once. */
async function skipBackoff(itemId: number) {
  await db
    .from('work_items')
    .where('id', itemId)
    .update({ run_after: db.raw('now()') })
}

test.group('Feedback in the claim answer', (group) => {
  const github = fakeGitHubGroup(group, { jobs: true })

  test('a run rejected for a failing check: the next claim carries the check, its annotations, the change requests and continue_from', async ({
    client,
    assert,
  }) => {
    const project = await githubProject({ gatesConfig: { required_checks: ['ci'] } })
    await WorkItemFactory.merge({ projectId: project.id, title: 'Fix the cart' }).create()
    const agent = await AgentFactory.create()
    const token = await tokenFor(agent)

    const first = await claim(client, token)
    first.assertStatus(201)
    assert.isNull(first.body().feedback, 'a first attempt has nothing to learn from')
    const firstRunId = first.body().run.id
    // The gates judge the pull request Gatehouse reads itself (issue 11).
    github.fake.pull(EXAMPLE_REPO, { number: PR, head: 'gatehouse/fix-cart', sha: SHA })
    const completed = await client
      .post(`/api/v1/runs/${firstRunId}/complete`)
      .bearerToken(token)
      .json({
        outcome: 'succeeded',
        summary: 'Fixed the rounding',
        branch_name: 'gatehouse/fix-cart',
        head_sha: SHA,
        pr_number: PR,
        pr_url: PR_URL,
      })
    completed.assertStatus(200)

    github.fake.checkRun(EXAMPLE_REPO, SHA, 'ci', 'completed', 'failure', {
      title: '2 tests failed',
      summary: 'cart.spec.ts: 2 failures',
      detailsUrl: 'https://ci.example.com/build/41',
      annotations: [
        { path: 'app/cart.ts', line: 12, message: 'expected 10.00, got 9.99' },
        { path: 'app/cart.ts', line: 30, message: 'total is not rounded' },
      ],
    })
    github.fake.checkRun(EXAMPLE_REPO, SHA, 'lint', 'completed', 'success')
    github.fake.review(EXAMPLE_REPO, PR, 'hubot', 'APPROVED')
    github.fake.review(EXAMPLE_REPO, PR, 'octocat', 'CHANGES_REQUESTED', {
      body: 'Please round half up.',
      comments: [{ body: 'Use Math.round here', path: 'app/cart.ts', line: 14 }],
    })
    assert.equal(await RunLifecycle.evaluateGates(firstRunId), 'failed')

    const rejected = await Run.findOrFail(firstRunId)
    assert.equal(rejected.feedback!.checks.length, 1, 'kept with the verdict')
    const item = await WorkItem.findByOrFail('projectId', project.id)
    assert.equal(item.status, 'pending')
    await skipBackoff(item.id)

    const second = await claim(client, token)
    second.assertStatus(201)
    const feedback = second.body().feedback
    assert.deepEqual(feedback.continue_from, {
      run_id: firstRunId,
      branch_name: 'gatehouse/fix-cart',
      pr_number: PR,
      pr_url: PR_URL,
      head_sha: SHA,
    })
    assert.lengthOf(feedback.attempts, 1)
    const [attempt] = feedback.attempts
    assert.containsSubset(attempt, {
      run_id: firstRunId,
      attempt: 1,
      outcome: 'rejected',
      summary: 'Fixed the rounding',
      error: null,
      truncated: false,
    })
    assert.isString(attempt.finished_at)
    assert.deepEqual(attempt.gates, [
      { gate: 'required_checks', verdict: 'failed', reason: 'ci: check run failure (on ec26c3e)' },
    ])
    assert.deepEqual(attempt.checks, [
      {
        name: 'ci',
        conclusion: 'failure',
        details_url: 'https://ci.example.com/build/41',
        title: '2 tests failed',
        summary: 'cart.spec.ts: 2 failures',
        annotations: [
          { path: 'app/cart.ts', line: 12, message: 'expected 10.00, got 9.99' },
          { path: 'app/cart.ts', line: 30, message: 'total is not rounded' },
        ],
      },
    ])
    assert.lengthOf(attempt.reviews, 1)
    assert.containsSubset(attempt.reviews[0], {
      reviewer: 'octocat',
      body: 'Please round half up.',
      comments: [{ body: 'Use Math.round here', path: 'app/cart.ts', line: 14 }],
    })

    // GET /runs/:id shows the same: the new run's feedback, the old run's own verdict.
    const secondRun = await client.get(`/api/v1/runs/${second.body().run.id}`).bearerToken(token)
    assert.deepEqual(secondRun.body().feedback, feedback)
    assert.isNull(secondRun.body().verdict)
    const firstRun = await client.get(`/api/v1/runs/${firstRunId}`).bearerToken(token)
    assert.deepEqual(firstRun.body().verdict, attempt)
  })

  test('failed and timed-out attempts are fed back newest first, at most five, without GitHub', async ({
    client,
    assert,
  }) => {
    const { item, run, agent, token } = await claimedRun({ maxAttempts: 10 })
    await RunLifecycle.complete(run, agent, {
      outcome: 'failed',
      summary: 'Tried a migration',
      error: 'tests failed: 3',
    })
    for (let attempt = 2; attempt <= 6; attempt++) {
      const next = await Run.create({
        workItemId: item.id,
        projectId: item.projectId,
        agentId: agent.id,
        attempt,
        status: 'timed_out',
        startedAt: run.startedAt,
        finishedAt: run.startedAt,
        leaseExpiresAt: run.leaseExpiresAt,
        error: 'lease expired',
        gateResults: [],
      })
      assert.isAbove(next.id, run.id)
    }
    await db
      .from('work_items')
      .where('id', item.id)
      .update({ status: 'pending', attempts: 6, locked_by_agent_id: null })
    await skipBackoff(item.id)

    const answer = await claim(client, token)
    answer.assertStatus(201)
    const { attempts, continue_from: continueFrom } = answer.body().feedback
    assert.deepEqual(
      attempts.map((entry: any) => [entry.attempt, entry.outcome, entry.error]),
      [
        [6, 'timed_out', 'lease expired'],
        [5, 'timed_out', 'lease expired'],
        [4, 'timed_out', 'lease expired'],
        [3, 'timed_out', 'lease expired'],
        [2, 'timed_out', 'lease expired'],
      ]
    )
    assert.isNull(continueFrom, 'no attempt opened a pull request')
  })
})

test.group('Feedback size', () => {
  test('one attempt keeps at most 16 KiB of text; what does not fit is cut and marked truncated', ({
    assert,
  }) => {
    const run = new Run()
    run.merge({
      id: 1,
      attempt: 2,
      status: 'succeeded',
      gateStatus: 'failed',
      error: 'boom',
      summary: 'é'.repeat(5000),
      gateResults: [
        {
          gate: 'required_checks',
          verdict: 'failed',
          reason: 'ci: check run failure (on ec26c3e)',
        },
      ],
      feedback: {
        checks: [
          {
            name: 'ci',
            conclusion: 'failure',
            details_url: null,
            title: 'many failures',
            summary: 'x'.repeat(4000),
            annotations: Array.from({ length: 50 }, (_, line) => ({
              path: 'app/cart.ts',
              line,
              message: 'y'.repeat(400),
            })),
          },
        ],
        reviews: [],
      },
    })
    const entry = RunFeedback.attemptOf(run)
    const text = [
      entry.error,
      entry.summary,
      ...entry.gates.map((gate) => gate.reason),
      ...entry.checks.flatMap((check) => [
        check.title,
        check.summary,
        ...check.annotations.map((annotation) => annotation.message),
      ]),
    ].join('')
    // Each cut field gains one ellipsis (3 bytes).
    assert.isAtMost(Buffer.byteLength(text), MAX_ATTEMPT_TEXT_BYTES + 3)
    assert.isTrue(entry.truncated)
    assert.equal(entry.error, 'boom', 'what failed comes first')
    assert.equal(entry.checks[0].summary, 'x'.repeat(4000))
    assert.isBelow(entry.checks[0].annotations.length, 50)
    assert.notInclude(entry.summary ?? '', '\uFFFD', 'no character cut in half')
  })
})
