import { test } from '@japa/runner'
import answerQuestionFromGitHub from '#jobs/answer_question_from_github'
import AuditEvent from '#models/audit_event'
import { askedQuestion, claimedRun } from '#tests/support/claimed_run'
import { fakeGitHubGroup, githubProject, EXAMPLE_REPO } from '#tests/support/github_world'

/** Issue #42's item, blocked on an open question of its agent. */
async function blockedOnQuestion() {
  const world = await claimedRun({ project: await githubProject() })
  await world.item.merge({ source: 'github', externalRef: 'github:issue:42' }).save()
  return { item: world.item, question: await askedQuestion(world) }
}

test.group('answer_question_from_github job', (group) => {
  const github = fakeGitHubGroup(group)

  test('a writer’s /answer answers the question and the item is claimable again; the same job again changes nothing', async ({
    assert,
  }) => {
    const { item, question } = await blockedOnQuestion()
    github.fake.permission(EXAMPLE_REPO, 'writer', 'write')

    const payload = { questionId: question.id, login: 'writer', answer: 'half up' }
    await answerQuestionFromGitHub(payload)
    await answerQuestionFromGitHub({ ...payload, answer: 'half even' })

    await question.refresh()
    await item.refresh()
    assert.equal(question.status, 'answered')
    assert.equal(question.answer, 'half up')
    assert.equal(question.answeredByLogin, 'writer')
    assert.equal(item.status, 'pending')
    assert.lengthOf(await AuditEvent.query().where('action', 'question.answered'), 1)
  })

  test('a reader’s /answer is ignored, with an audit event saying so', async ({ assert }) => {
    const { item, question } = await blockedOnQuestion()
    github.fake.permission(EXAMPLE_REPO, 'reader', 'read')

    await answerQuestionFromGitHub({ questionId: question.id, login: 'reader', answer: 'half up' })

    await question.refresh()
    await item.refresh()
    assert.equal(question.status, 'open')
    assert.equal(item.status, 'blocked')
    const [ignored] = await AuditEvent.query().where('action', 'question.answer_ignored')
    assert.containsSubset(ignored.details, { github_login: 'reader', permission: 'read' })
  })
})
