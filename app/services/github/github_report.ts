import db from '@adonisjs/lucid/services/db'
import logger from '@adonisjs/core/services/logger'
import type { TransactionClientContract } from '@adonisjs/lucid/types/database'
import type { ProjectPolicies } from '#models/policy'
import Run from '#models/run'
import type WorkItem from '#models/work_item'
import AuditEvent from '#models/audit_event'
import JobQueue from '#services/job_queue'
import GitHubClient, { GitHubFailure } from '#services/github/github_client'

export const REPORT_RUN_TASK = 'report_run_to_github'
export type ReportMoment = 'started' | 'finished'

/** Attempts of a report job; the last one gives up with an audit event instead of failing again. */
export const REPORT_MAX_ATTEMPTS = 8

/** The issue number of an item taken in from GitHub (external_ref `github:issue:<n>`). */
export function issueNumberOf(item: Pick<WorkItem, 'externalRef'>): number | null {
  const match = item.externalRef?.match(/^github:issue:(\d+)$/)
  return match ? Number(match[1]) : null
}

/**
 * Reporting back (spec §6, policy `report_to_github`): a comment on the item's issue when a
 * run starts and when it finishes. Enqueued in the transaction of the transition; posted by
 * a job that first looks for its hidden marker, so a retried job never comments twice.
 */
export default class GitHubReport {
  static async runStarted(
    trx: TransactionClientContract,
    run: Run,
    item: WorkItem,
    policies: ProjectPolicies
  ) {
    await this.#enqueue(trx, run, item, policies, 'started')
  }

  static async runFinished(
    trx: TransactionClientContract,
    run: Run,
    item: WorkItem,
    policies: ProjectPolicies
  ) {
    await this.#enqueue(trx, run, item, policies, 'finished')
  }

  /** The item's comment shows its current state: a verdict changed, a run was released or cancelled. */
  static async itemChanged(
    trx: TransactionClientContract,
    item: WorkItem,
    policies: ProjectPolicies
  ) {
    void trx
    void item
    void policies
  }

  static async #enqueue(
    trx: TransactionClientContract,
    run: Run,
    item: WorkItem,
    policies: ProjectPolicies,
    moment: ReportMoment
  ) {
    if (!policies.report_to_github || issueNumberOf(item) === null) return
    await JobQueue.enqueue(
      trx,
      REPORT_RUN_TASK,
      { runId: run.id, moment },
      { jobKey: `report_run:${run.id}:${moment}`, maxAttempts: REPORT_MAX_ATTEMPTS }
    )
  }

  /**
   * Posts the comment unless it is already there. A transient failure throws (the queue
   * retries) until the last attempt; a rejected token, a missing issue or the last attempt
   * give up with an audit event.
   */
  static async post(runId: number, moment: ReportMoment, attempt: { number: number; max: number }) {
    const run = await Run.query()
      .where('id', runId)
      .preload('workItem')
      .preload('project')
      .preload('agent')
      .first()
    if (!run) return 'gone'
    const issueNumber = issueNumberOf(run.workItem)
    if (issueNumber === null) return 'gone'
    const marker = `<!-- gatehouse:run:${run.id}:${moment} -->`
    try {
      const client = await GitHubClient.forProject(run.project)
      const { owner, repo } = client
      return await client.call(async (octokit) => {
        const comments = await octokit.paginate(octokit.rest.issues.listComments, {
          owner,
          repo,
          issue_number: issueNumber,
          per_page: 100,
        })
        if (comments.some((comment) => comment.body?.includes(marker))) return 'already_posted'
        // Not retried blindly: a 5xx may come after GitHub stored the comment; the job's retry looks for the marker first.
        await octokit.rest.issues.createComment({
          owner,
          repo,
          issue_number: issueNumber,
          body: `${commentBody(run, moment)}\n\n${marker}`,
          request: { retries: 0 },
        })
        return 'posted'
      })
    } catch (error) {
      if (!(error instanceof GitHubFailure)) throw error
      const lastAttempt = attempt.number >= attempt.max
      if (error.isTransient && !lastAttempt) throw error
      logger.warn({ runId, moment, err: error }, 'giving up on a GitHub comment')
      await db.transaction((trx) =>
        AuditEvent.record(trx, {
          actor: 'system',
          action: 'github.comment_failed',
          subject: run,
          details: {
            moment,
            issue: issueNumber,
            kind: error.kind,
            reason: error.message,
            attempts: attempt.number,
          },
        })
      )
      return 'gave_up'
    }
  }
}

function commentBody(run: Run, moment: ReportMoment) {
  const agent = run.agent ? `\`${run.agent.key}\`` : 'an agent'
  if (moment === 'started') {
    return `Gatehouse: ${agent} started working on this issue (run ${run.id}, attempt ${run.attempt}).`
  }
  const lines = [`Gatehouse: run ${run.id} by ${agent} finished: **${outcomeOf(run)}**.`]
  if (run.prUrl) lines.push(`Pull request: ${run.prUrl}`)
  if (run.gateResults?.length) {
    lines.push('', '| gate | verdict | reason |', '| --- | --- | --- |')
    for (const verdict of run.gateResults) {
      lines.push(
        `| ${verdict.gate} | ${verdict.verdict} | ${verdict.reason.replace(/\|/g, '\\|')} |`
      )
    }
  }
  if (run.error) lines.push('', `Error: ${run.error}`)
  return lines.join('\n')
}

function outcomeOf(run: Run) {
  if (run.status !== 'succeeded') return run.status.replace('_', ' ')
  if (run.gateStatus === 'passed') return 'accepted'
  if (run.gateStatus === 'failed') return 'rejected by gates'
  return 'succeeded, gates pending'
}
