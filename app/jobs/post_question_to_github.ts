import vine from '@vinejs/vine'
import GitHubQuestions from '#services/github/github_questions'

const postQuestionPayload = vine.create({ questionId: vine.number().withoutDecimals().min(1) })

/** Posts an agent's question on its item's GitHub issue; the queue retries GitHub's failures. */
export default async function postQuestionToGitHub(payload: unknown) {
  const { questionId } = await postQuestionPayload.validate(payload)
  await GitHubQuestions.post(questionId)
}
