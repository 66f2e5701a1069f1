import { test } from '@japa/runner'
import postQuestionToGitHub from '#jobs/post_question_to_github'
import { askedQuestion, claimedRun } from '#tests/support/claimed_run'
import { fakeGitHubGroup, githubProject, EXAMPLE_REPO } from '#tests/support/github_world'

test.group('post_question_to_github job', (group) => {
  const github = fakeGitHubGroup(group)

  test("posts the agent's question and its choices on the item's issue once, however often it runs", async ({
    assert,
  }) => {
    github.fake.issue(EXAMPLE_REPO, { number: 42 })
    const project = await githubProject()
    const world = await claimedRun({ project })
    await world.item.merge({ source: 'github', externalRef: 'github:issue:42' }).save()
    const question = await askedQuestion(world, {
      question: 'Round half up or half even?',
      choices: ['half up', 'half even'],
    })

    await postQuestionToGitHub({ questionId: question.id })
    await postQuestionToGitHub({ questionId: question.id })

    const comments = github.fake.comments(EXAMPLE_REPO, 42)
    assert.lengthOf(comments, 1)
    assert.include(comments[0].body, 'Round half up or half even?')
    assert.include(comments[0].body, '`half up`, `half even`')
    assert.include(comments[0].body, '/answer')
  })

  test('a question of an item without an issue, or one deleted since, posts nothing', async ({
    assert,
  }) => {
    const project = await githubProject()
    const question = await askedQuestion(await claimedRun({ project }))

    await postQuestionToGitHub({ questionId: question.id })
    await postQuestionToGitHub({ questionId: question.id + 1000 })

    assert.lengthOf(github.fake.requestsTo('POST', /\/comments$/), 0)
  })
})
