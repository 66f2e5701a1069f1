import db from '@adonisjs/lucid/services/db'
import logger from '@adonisjs/core/services/logger'
import type { TransactionClientContract } from '@adonisjs/lucid/types/database'
import { appUrl } from '#config/app'
import Run, { type GateVerdict } from '#models/run'
import AuditEvent from '#models/audit_event'
import JobQueue from '#infrastructure/job_queue'
import GitHubClient, { GitHubFailure } from '#services/github/github_client'
import { pullNumberOf } from '#services/runs/gates/pull_request_gate'

export const GATEHOUSE_STATUS_TASK = 'post_gatehouse_status'
/** The commit status context owners require in their branch protection. */
export const GATEHOUSE_CONTEXT = 'gatehouse'
/** GitHub refuses longer status descriptions (422). */
export const DESCRIPTION_LIMIT = 140
export const STATUS_MAX_ATTEMPTS = 8

/**
 * A pull request refused as not being this run's (someone else's, or not linked): Gatehouse
 * sets no status on it, or an agent could flip the verdict on another item's pull request.
 */
const NOT_THIS_RUNS_PR = new Set([
  'pr_missing',
  'pr_not_found',
  'wrong_repo',
  'pr_not_linked',
  'pr_reused',
  'pr_stale',
])

export type GatehouseState = 'pending' | 'success' | 'failure'
export type GatehouseStatusPayload = { runId: number; sha?: string | null }

/**
 * Gatehouse's verdict on a pull request (spec issue 11): the commit status `gatehouse` on its
 * head SHA, `pending` while gates are pending, `success` once accepted, `failure` with the
 * first failed gate's reason. Enqueued in the verdict's transaction; the job posts the run's
 * state at the time it runs, so retries and replays are idempotent.
 */
export default class GatehouseStatus {
  /** `sha`: a newer head than the one judged (new commits after acceptance): `pending` on it. */
  static async schedule(
    trx: TransactionClientContract,
    run: Run,
    options: { sha?: string | null } = {}
  ) {
    if (pullNumberOf(run) === null) return
    await JobQueue.enqueue(
      trx,
      GATEHOUSE_STATUS_TASK,
      { runId: run.id, ...(options.sha ? { sha: options.sha } : {}) },
      { jobKey: `gatehouse_status:${run.id}`, maxAttempts: STATUS_MAX_ATTEMPTS }
    )
  }

  /** The status a run's state means, and the commit it belongs on; null when none is to be set. */
  static statusOf(run: Run, newerSha?: string | null) {
    const verdicts: GateVerdict[] = run.gateResults ?? []
    const refused = verdicts.find(
      (verdict) =>
        verdict.gate === 'pull_request' &&
        verdict.verdict === 'failed' &&
        NOT_THIS_RUNS_PR.has(verdict.code ?? '')
    )
    const sha = newerSha ?? run.judgedHeadSha
    if (!sha || refused || run.status !== 'succeeded') return null
    const failed = verdicts.find((verdict) => verdict.verdict === 'failed')
    let state: GatehouseState
    let description: string
    if (newerSha && newerSha !== run.judgedHeadSha) {
      state = 'pending'
      description = 'New commits: Gatehouse is judging them again'
    } else if (failed) {
      state = 'failure'
      description = `${failed.gate}: ${failed.reason}`
    } else if (run.gateStatus === 'passed' && run.prChangedAt === null) {
      state = 'success'
      description = `Accepted by Gatehouse (run #${run.id})`
    } else {
      const waiting = verdicts.filter((verdict) => verdict.verdict === 'pending')
      state = 'pending'
      description = waiting.length
        ? `Waiting for ${waiting.map((verdict) => verdict.gate).join(', ')}`
        : 'Gatehouse is judging this pull request'
    }
    return {
      sha,
      state,
      description: truncate(description, DESCRIPTION_LIMIT),
      target_url: `${appUrl.replace(/\/+$/, '')}/runs/${run.id}`,
      context: GATEHOUSE_CONTEXT,
    }
  }

  /**
   * Posts the status. Transient failures throw (the queue retries) until the last attempt;
   * GitHub refusing it (422, 404, a rejected token) or the last attempt gives up with an
   * audit event `github.status_failed`.
   */
  static async post(payload: GatehouseStatusPayload, attempt: { number: number; max: number }) {
    const run = await Run.query().where('id', payload.runId).preload('project').first()
    if (!run) return 'gone'
    const status = this.statusOf(run, payload.sha)
    if (!status) return 'skipped'
    try {
      const client = await GitHubClient.forProject(run.project)
      const { owner, repo } = client
      await client.call((octokit) =>
        octokit.rest.repos.createCommitStatus({
          owner,
          repo,
          sha: status.sha,
          state: status.state,
          description: status.description,
          target_url: status.target_url,
          context: status.context,
        })
      )
      return status.state
    } catch (error) {
      if (!(error instanceof GitHubFailure)) throw error
      const refused = error.status === 422
      if (error.isTransient && !refused && attempt.number < attempt.max) throw error
      logger.warn({ runId: run.id, err: error }, 'giving up on the gatehouse commit status')
      await db.transaction((trx) =>
        AuditEvent.record(trx, {
          actor: 'system',
          action: 'github.status_failed',
          subject: run,
          details: {
            sha: status.sha,
            state: status.state,
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

function truncate(text: string, limit: number) {
  return text.length <= limit ? text : `${text.slice(0, limit - 1)}…`
}
