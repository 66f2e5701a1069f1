import factory from '@adonisjs/lucid/factories'
import Question from '#models/question'

/** An agent's open question; merge its work item, project, run and agent. */
export const QuestionFactory = factory
  .define(Question, ({ faker }) => ({
    question: `${faker.hacker.phrase()}?`,
    choices: null,
    status: 'open' as const,
  }))
  .state('answered', (question) => {
    question.status = 'answered'
    question.answer = 'yes'
  })
  .build()
