import UntracedTransformer from '#transformers/untraced_transformer'
import type Question from '#models/question'

/** A question an agent asked about a work item, as the agent API shows it. */
export default class QuestionTransformer extends UntracedTransformer<Question> {
  /** The question just asked (POST /api/v1/runs/:id/questions). */
  toObject() {
    const question = this.resource
    return {
      id: question.id,
      status: question.status,
      question: question.question,
      choices: question.choices,
      context: question.context ?? null,
    }
  }

  /**
   * One exchange of an item's conversation, as the next claim answer carries it (agent and
   * answering user preloaded).
   */
  conversation() {
    const question = this.resource
    return {
      question: question.question,
      choices: question.choices,
      context: question.context ?? null,
      answer: question.answer,
      asked_by: question.agent?.key ?? null,
      answered_by:
        question.answeredBy?.email ??
        (question.answeredByLogin ? `github:${question.answeredByLogin}` : null),
      at: question.createdAt.toUTC().toISO()!,
      answered_at: question.answeredAt?.toUTC().toISO() ?? null,
    }
  }
}
