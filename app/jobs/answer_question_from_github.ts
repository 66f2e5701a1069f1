import vine from '@vinejs/vine'
import GitHubQuestions from '#services/github/github_questions'

const answerPayload = vine.create({
  questionId: vine.number().withoutDecimals().min(1),
  login: vine.string().maxLength(100),
  answer: vine.string().maxLength(65_536),
  commentId: vine.number().nullable().optional(),
})

/** A `/answer` reply on a GitHub issue: applied if its author has write access to the repository. */
export default async function answerQuestionFromGitHub(payload: unknown) {
  const input = await answerPayload.validate(payload)
  await GitHubQuestions.answerFromGitHub(input)
}
