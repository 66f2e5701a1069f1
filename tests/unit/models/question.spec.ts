import { test } from '@japa/runner'
import testUtils from '@adonisjs/core/services/test_utils'
import AuditEvent from '#models/audit_event'
import Question from '#models/question'
import { UserFactory } from '#database/factories/user_factory'
import { QuestionFactory } from '#database/factories/question_factory'
import { askedQuestion, claimedRun } from '#tests/support/claimed_run'

async function blockedOnQuestion() {
  const world = await claimedRun()
  const question = await askedQuestion(world, { choices: ['half up', 'half even'] })
  return { item: world.item, question, agent: world.agent }
}

test.group('Question', (group) => {
  group.each.setup(() => testUtils.db().truncate())

  test('answering resumes the blocked item, names who answered and audits it', async ({
    assert,
  }) => {
    const { item, question } = await blockedOnQuestion()
    const maintainer = await UserFactory.create()

    await Question.answer(item, 'half up', { user: maintainer }, '10.0.0.7')

    await question.refresh()
    await item.refresh()
    assert.equal(question.status, 'answered')
    assert.equal(question.answer, 'half up')
    assert.equal(question.answeredByUserId, maintainer.id)
    assert.equal(item.status, 'pending')
    const [event] = await AuditEvent.query().where('action', 'question.answered')
    assert.equal(event.actorId, maintainer.id)
    assert.containsSubset(event.details, { question_id: question.id, resumed: true })
  })

  test('an item has no open question once answered: a second answer is refused and changes nothing', async ({
    assert,
  }) => {
    const { item, question } = await blockedOnQuestion()
    await Question.answer(item, 'half up', { githubLogin: 'writer' })

    await assert.rejects(
      () => Question.answer(item, 'half even', { githubLogin: 'writer' }),
      /no open question/
    )
    await question.refresh()
    assert.equal(question.answer, 'half up')
    assert.isNull(await Question.openFor(item.id))
  })

  test('the conversation lists the questions oldest first with who asked', async ({ assert }) => {
    const { item, question, agent } = await blockedOnQuestion()
    await Question.answer(item, 'half up', { githubLogin: 'writer' })
    const second = await QuestionFactory.merge({
      workItemId: item.id,
      projectId: item.projectId,
      agentId: agent.id,
    }).create()

    const conversation = await Question.conversationOf(item.id)
    assert.deepEqual(
      conversation.map((entry) => [entry.id, entry.agent.key, entry.status]),
      [
        [question.id, agent.key, 'answered'],
        [second.id, agent.key, 'open'],
      ]
    )
  })
})
