import db from '@adonisjs/lucid/services/db'
import logger from '@adonisjs/core/services/logger'
import type { TransactionClientContract } from '@adonisjs/lucid/types/database'
import { RequestError } from 'octokit'
import { appUrl } from '#config/app'
import Policy, { type ProjectPolicies } from '#models/policy'
import Run from '#models/run'
import WorkItem from '#models/work_item'
import AuditEvent from '#models/audit_event'
import JobQueue from '#infrastructure/job_queue'
import GitHubClient, { GitHubFailure } from '#services/github/github_client'

export const REPORT_ITEM_TASK = 'report_item_to_github'
/** The task of earlier versions (one comment per run moment); its queued jobs now refresh the item's comment. */
export const REPORT_RUN_TASK = 'report_run_to_github'
export type ReportMoment = 'started' | 'finished'

/** Attempts of a report job; the last one gives up with an audit event instead of failing again. */
export const REPORT_MAX_ATTEMPTS = 8

/** The issue number of an item taken in from GitHub (external_ref `github:issue:<n>`). */
export function issueNumberOf(item: Pick<WorkItem, 'externalRef'>): number | null {
  const match = item.externalRef?.match(/^github:issue:(\d+)$/)
  return match ? Number(match[1]) : null
}

/** The hidden marker that finds an item's comment again (after a crash between the POST and storing its id). */
export const commentMarker = (itemId: number) => `<!-- gatehouse:item:${itemId} -->`

/**
 * Reporting back (spec §6, policy `report_to_github`): one comment per work item on its issue,
 * kept current by editing it (state, current run and agent, attempts, each gate's verdict and
 * reason, cost so far, PR link, every run including released and cancelled ones). Enqueued in
 * the transaction of each change; the job renders what the database says when it runs, so
 * retries and bursts of changes converge on one edit.
 */
export default class GitHubReport {
  static async runFinished(
    trx: TransactionClientContract,
    _run: Run,
    item: WorkItem,
    policies?: ProjectPolicies
  ) {
    await this.itemChanged(trx, item, policies)
  }

  /**
   * Anything the comment shows changed: the job edits the comment (one job per item at a time).
   * A claim enqueues the same job in SQL (`claim_and_report`, database/migrations/0560).
   */
  static async itemChanged(
    trx: TransactionClientContract,
    item: WorkItem,
    policies?: ProjectPolicies
  ) {
    if (issueNumberOf(item) === null) return
    const { report_to_github: report } = policies ?? (await Policy.forProject(item.projectId, trx))
    if (!report) return
    await JobQueue.enqueue(
      trx,
      REPORT_ITEM_TASK,
      { workItemId: item.id },
      {
        jobKey: `report_item:${item.id}`,
        // One queue per item: two edits of one comment never race (nor two first posts).
        queueName: `github_comment:${item.id}`,
        maxAttempts: REPORT_MAX_ATTEMPTS,
      }
    )
  }

  /**
   * Edits the item's comment, or posts it when there is none (a deleted one is posted again).
   * A transient failure throws (the queue retries) until the last attempt; a rejected token,
   * a missing issue or the last attempt give up with an audit event.
   */
  static async post(workItemId: number, attempt: { number: number; max: number }) {
    const item = await WorkItem.query().where('id', workItemId).preload('project').first()
    if (!item) return 'gone'
    const issueNumber = issueNumberOf(item)
    if (issueNumber === null) return 'gone'
    const runs = await Run.query().where('workItemId', item.id).preload('agent').orderBy('id')
    const policies = await Policy.forProject(item.projectId)
    const marker = commentMarker(item.id)
    const body = `${commentBody(item, runs, policies)}\n\n${marker}`
    try {
      const client = await GitHubClient.forProject(item.project)
      const { owner, repo } = client
      const known = item.githubCommentId === null ? null : Number(item.githubCommentId)
      const { outcome, commentId } = await client.call(async (octokit) => {
        const edit = (id: number) =>
          octokit.rest.issues.updateComment({ owner, repo, comment_id: id, body })
        if (known !== null) {
          try {
            await edit(known)
            return { outcome: 'edited' as const, commentId: known }
          } catch (error) {
            // Deleted on GitHub: post it again below.
            if (!(error instanceof RequestError) || ![404, 410].includes(error.status)) throw error
          }
        }
        const comments = await octokit.paginate(octokit.rest.issues.listComments, {
          owner,
          repo,
          issue_number: issueNumber,
          per_page: 100,
        })
        const existing = comments.find((comment) => comment.body?.includes(marker))
        if (existing) {
          await edit(existing.id)
          return { outcome: 'edited' as const, commentId: existing.id }
        }
        // Not retried blindly: a 5xx may come after GitHub stored the comment; the retry looks for the marker first.
        const { data } = await octokit.rest.issues.createComment({
          owner,
          repo,
          issue_number: issueNumber,
          body,
          request: { retries: 0 },
        })
        return { outcome: 'posted' as const, commentId: data.id }
      })
      if (commentId !== known)
        await db.from('work_items').where('id', item.id).update({ github_comment_id: commentId })
      return outcome
    } catch (error) {
      if (!(error instanceof GitHubFailure)) throw error
      const lastAttempt = attempt.number >= attempt.max
      if (error.isTransient && !lastAttempt) throw error
      logger.warn({ workItemId, err: error }, 'giving up on a GitHub comment')
      await db.transaction((trx) =>
        AuditEvent.record(trx, {
          actor: 'system',
          action: 'github.comment_failed',
          subject: item,
          details: {
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

/** The comment: the item now, its current run's gates, and every run. */
export function commentBody(item: WorkItem, runs: Run[], policies: ProjectPolicies) {
  const current = runs.at(-1)
  const maxAttempts = item.maxAttempts ?? policies.max_attempts
  const cost = runs.reduce((sum, run) => sum + Number(run.costUsd ?? 0), 0)
  const runLink = (run: Run) => `[#${run.id}](${appUrl.replace(/\/+$/, '')}/runs/${run.id})`
  const agentOf = (run: Run) => (run.agent ? `\`${run.agent.key}\`` : 'an agent')
  const pullRequest = [...runs].reverse().find((run) => run.prUrl || run.prNumber)

  const lines = [
    `**Gatehouse** · work item #${item.id}: **${item.status.replace('_', ' ')}**`,
    '',
    '| | |',
    '| --- | --- |',
    `| Current run | ${current ? `${runLink(current)} by ${agentOf(current)}: ${outcomeOf(current)}` : 'none yet'} |`,
    `| Attempts | ${item.attempts} of ${maxAttempts} |`,
    `| Cost so far | $${cost.toFixed(2)} |`,
    `| Pull request | ${pullRequest ? (pullRequest.prUrl ?? `#${pullRequest.prNumber}`) : '—'} |`,
  ]
  if (current?.prChangedAt)
    lines.push(
      '',
      `> **Warning:** new commits were pushed after run #${current.id} was accepted; Gatehouse is judging them again.`
    )
  if (current?.gateResults?.length) {
    lines.push('', `Gates of run #${current.id}:`, '')
    lines.push('| gate | verdict | code | reason |', '| --- | --- | --- | --- |')
    for (const verdict of current.gateResults)
      lines.push(
        `| ${verdict.gate} | ${verdict.verdict} | ${verdict.code ?? ''} | ${cell(verdict.reason)} |`
      )
  }
  if (runs.length) {
    lines.push('', 'Runs:', '')
    lines.push('| run | agent | attempt | outcome |', '| --- | --- | --- | --- |')
    for (const run of runs)
      lines.push(
        `| ${runLink(run)} | ${agentOf(run)} | ${run.attempt} | ${cell(outcomeOf(run) + (run.error ? ` (${run.error})` : ''))} |`
      )
  }
  return lines.join('\n')
}

function cell(text: string) {
  return text.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ')
}

function outcomeOf(run: Run) {
  if (run.status !== 'succeeded') return run.status.replace('_', ' ')
  if (run.prChangedAt) return 'accepted, new commits being judged'
  if (run.gateStatus === 'passed') return 'accepted'
  if (run.gateStatus === 'failed') return 'rejected by gates'
  return 'succeeded, gates pending'
}
