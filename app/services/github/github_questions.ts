import db from '@adonisjs/lucid/services/db'
import logger from '@adonisjs/core/services/logger'
import type { TransactionClientContract } from '@adonisjs/lucid/types/database'
import type WorkItem from '#models/work_item'
import Question from '#models/question'
import Project from '#models/project'
import Policy from '#models/policy'
import AuditEvent from '#models/audit_event'
import JobQueue from '#infrastructure/job_queue'
import GitHubClient, { GitHubFailure } from '#services/github/github_client'
import { issueNumberOf } from '#services/github/github_report'
import InvalidTransition from '#exceptions/invalid_transition'

export const POST_QUESTION_TASK = 'post_question_to_github'
export const ANSWER_FROM_GITHUB_TASK = 'answer_question_from_github'

/** The prefix of a reply comment that answers an item's open question. */
export const ANSWER_PREFIX = '/answer '

/** Permissions that may answer: write access to the repository or more. */
const WRITERS = new Set(['admin', 'maintain', 'write'])

/**
 * Questions of items taken in from GitHub issues (issue 12): the question is posted on the
 * issue, and a reply starting with `/answer ` from an account with write access answers it.
 * Both sides are jobs: no call to GitHub happens inside a transaction.
 */
export default class GitHubQuestions {
  static async schedulePost(trx: TransactionClientContract, question: Question, item: WorkItem) {
    if (issueNumberOf(item) === null) return
    const { report_to_github: report } = await Policy.forProject(item.projectId, trx)
    if (!report) return
    await JobQueue.enqueue(
      trx,
      POST_QUESTION_TASK,
      { questionId: question.id },
      { jobKey: `post_question:${question.id}`, maxAttempts: 10 }
    )
  }

  /** Posts the question on the issue unless it is already there (its marker). */
  static async post(questionId: number): Promise<'posted' | 'already_posted' | 'gone'> {
    const question = await Question.query().where('id', questionId).preload('workItem').first()
    if (!question) return 'gone'
    const issueNumber = issueNumberOf(question.workItem)
    if (issueNumber === null) return 'gone'
    const project = await Project.findOrFail(question.projectId)
    const marker = `<!-- gatehouse:question:${question.id} -->`
    const client = await GitHubClient.forProject(project)
    const { owner, repo } = client
    return client.call(async (octokit) => {
      const comments = await octokit.paginate(octokit.rest.issues.listComments, {
        owner,
        repo,
        issue_number: issueNumber,
        per_page: 100,
      })
      if (comments.some((comment) => comment.body?.includes(marker))) return 'already_posted'
      const choices = question.choices?.length
        ? `\n\nChoices: ${question.choices.map((choice) => `\`${choice}\``).join(', ')}`
        : ''
      await octokit.rest.issues.createComment({
        owner,
        repo,
        issue_number: issueNumber,
        body: `Gatehouse: the agent asks:\n\n> ${question.question.replaceAll('\n', '\n> ')}${choices}\n\nReply with a comment starting with \`${ANSWER_PREFIX.trim()} \` (write access needed) to answer.\n\n${marker}`,
        request: { retries: 0 },
      })
      return 'posted'
    })
  }

  /**
   * An `issue_comment` delivery (inside the webhook's transaction): a `/answer ` reply on the
   * issue of an item with an open question becomes a job that checks the author's permission.
   */
  static async scheduleAnswer(
    trx: TransactionClientContract,
    project: Project,
    payload: Record<string, any>
  ): Promise<string | null> {
    const body: unknown = payload.comment?.body
    const login: unknown = payload.comment?.user?.login
    const issueNumber: unknown = payload.issue?.number
    if (payload.action !== 'created' || typeof body !== 'string' || typeof login !== 'string')
      return null
    if (!body.startsWith(ANSWER_PREFIX) || typeof issueNumber !== 'number') return null
    if (payload.comment?.user?.type === 'Bot') return null
    const open = await trx
      .from('questions')
      .join('work_items', 'work_items.id', 'questions.work_item_id')
      .where('work_items.project_id', project.id)
      .where('work_items.external_ref', `github:issue:${issueNumber}`)
      .where('questions.status', 'open')
      .select('questions.id')
      .first()
    if (!open) return null
    await JobQueue.enqueue(
      trx,
      ANSWER_FROM_GITHUB_TASK,
      {
        questionId: open.id,
        login,
        answer: body.slice(ANSWER_PREFIX.length).trim(),
        commentId: payload.comment?.id ?? null,
      },
      { jobKey: `answer_from_github:${payload.comment?.id ?? open.id}`, maxAttempts: 10 }
    )
    return `answer from ${login} to question ${open.id} queued`
  }

  /** Applies a `/answer` if its author may write to the repository (asked of GitHub, outside any transaction). */
  static async answerFromGitHub(input: {
    questionId: number
    login: string
    answer: string
  }): Promise<'answered' | 'not_a_writer' | 'not_open'> {
    const question = await Question.query()
      .where('id', input.questionId)
      .preload('workItem')
      .first()
    if (!question || question.status !== 'open' || input.answer === '') return 'not_open'
    const project = await Project.findOrFail(question.projectId)
    const client = await GitHubClient.forProject(project)
    const { owner, repo } = client
    let permission = 'none'
    try {
      const answer = await client.call((octokit) =>
        octokit.rest.repos.getCollaboratorPermissionLevel({ owner, repo, username: input.login })
      )
      permission = answer.data.permission
    } catch (error) {
      if (!(error instanceof GitHubFailure) || error.kind !== 'not_found') throw error
    }
    if (!WRITERS.has(permission)) {
      logger.info({ questionId: question.id, login: input.login, permission }, '/answer ignored')
      await db.transaction((trx) =>
        AuditEvent.record(trx, {
          actor: 'system',
          action: 'question.answer_ignored',
          subject: question.workItem,
          details: { question_id: question.id, github_login: input.login, permission },
        })
      )
      return 'not_a_writer'
    }
    try {
      await Question.answer(question.workItem, input.answer, { githubLogin: input.login })
    } catch (error) {
      // Answered in the page meanwhile: nothing left to do.
      if (error instanceof InvalidTransition) return 'not_open'
      throw error
    }
    return 'answered'
  }
}
