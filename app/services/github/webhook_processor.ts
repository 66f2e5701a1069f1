import { DateTime } from 'luxon'
import db from '@adonisjs/lucid/services/db'
import logger from '@adonisjs/core/services/logger'
import type { TransactionClientContract } from '@adonisjs/lucid/types/database'
import WebhookDelivery, { type DeliveryStatus } from '#models/webhook_delivery'
import Project from '#models/project'
import Policy from '#models/policy'
import AuditEvent from '#models/audit_event'
import Run from '#models/run'
import GateEvaluator from '#services/runs/gate_evaluator'
import IssueIntake, { type GitHubIssue } from '#services/github/issue_intake'
import GitHubSync from '#services/github/github_sync'

/** Issue actions that can change an item; the rest (assigned, milestoned, …) are ignored. */
const INTAKE_ACTIONS = new Set([
  'opened',
  'edited',
  'labeled',
  'unlabeled',
  'reopened',
  'closed',
  'deleted',
  'transferred',
])

type Outcome = { status: Exclude<DeliveryStatus, 'received' | 'failed'>; effect: string }

/**
 * What a stored webhook delivery means (the job behind POST /webhooks/github). One
 * transaction: the delivery's status and every effect commit together, so a retried job
 * never applies a delivery twice.
 */
export default class WebhookProcessor {
  /**
   * A failure throws so the queue retries it, except on the job's last attempt: then the
   * delivery stays `failed` with an audit event and the job ends (nothing left to retry).
   */
  static async process(
    deliveryRowId: number,
    attempt?: { number: number; max: number }
  ): Promise<DeliveryStatus | null> {
    try {
      return await db.transaction(async (trx) => {
        const delivery = await WebhookDelivery.query({ client: trx })
          .where('id', deliveryRowId)
          .forUpdate()
          .first()
        if (!delivery) return null
        if (delivery.status === 'processed' || delivery.status === 'ignored') return delivery.status
        const project = delivery.projectId
          ? await Project.find(delivery.projectId, { client: trx })
          : null
        const outcome: Outcome = project
          ? await this.#apply(trx, project, delivery)
          : { status: 'ignored', effect: 'the project no longer exists' }
        delivery.useTransaction(trx)
        // The payload was kept for processing (and retries); the delivery's record is the row itself.
        delivery.merge({
          status: outcome.status,
          error: null,
          processedAt: DateTime.now(),
          payload: null,
        })
        await delivery.save()
        logger.info(
          { deliveryId: delivery.deliveryId, event: delivery.event, ...outcome },
          'webhook delivery applied'
        )
        return outcome.status
      })
    } catch (error) {
      const message = String((error as Error).message ?? error).slice(0, 2000)
      const lastAttempt = attempt !== undefined && attempt.number >= attempt.max
      // Kept visible on the delivery (with its payload, for a manual retry).
      await db.transaction(async (trx) => {
        const failed = await trx
          .from('webhook_deliveries')
          .where('id', deliveryRowId)
          .whereNotIn('status', ['processed', 'ignored'])
          .update({ status: 'failed', error: message, updated_at: db.raw('now()') })
          .returning(['delivery_id', 'event', 'project_id'])
        if (!lastAttempt || failed.length === 0) return
        await AuditEvent.record(trx, {
          actor: 'system',
          action: 'github.webhook_failed',
          projectId: failed[0].project_id,
          details: {
            delivery: failed[0].delivery_id,
            event: failed[0].event,
            error: message,
            attempts: attempt!.number,
          },
        })
      })
      if (!lastAttempt) throw error
      logger.error({ deliveryRowId, err: error }, 'giving up on a webhook delivery')
      return 'failed'
    }
  }

  static async #apply(
    trx: TransactionClientContract,
    project: Project,
    delivery: WebhookDelivery
  ): Promise<Outcome> {
    const payload = delivery.payload as Record<string, any>
    switch (delivery.event) {
      case 'ping':
        await AuditEvent.record(trx, {
          actor: 'system',
          action: 'github.webhook_pinged',
          subject: project,
          details: { hook_id: payload.hook_id ?? null, zen: payload.zen ?? null },
        })
        return { status: 'processed', effect: 'ping' }
      case 'issues':
        return this.#issue(trx, project, payload)
      case 'check_run':
        return this.#commitChecks(
          trx,
          project,
          payload.check_run?.head_sha,
          [payload.check_run?.check_suite?.head_branch],
          payload.check_run?.pull_requests
        )
      case 'check_suite':
        return this.#commitChecks(
          trx,
          project,
          payload.check_suite?.head_sha,
          [payload.check_suite?.head_branch],
          payload.check_suite?.pull_requests
        )
      case 'status':
        return this.#commitChecks(
          trx,
          project,
          payload.sha,
          (payload.branches ?? []).map((branch: any) => branch?.name),
          []
        )
      case 'pull_request':
      case 'pull_request_review':
        return this.#pullRequest(
          trx,
          project,
          payload.pull_request?.number ?? payload.number,
          payload.pull_request?.head?.sha,
          delivery.event === 'pull_request' && payload.action === 'synchronize'
        )
      default:
        return { status: 'ignored', effect: `event ${delivery.event} is not handled` }
    }
  }

  static async #issue(
    trx: TransactionClientContract,
    project: Project,
    payload: Record<string, any>
  ): Promise<Outcome> {
    if (!INTAKE_ACTIONS.has(payload.action) || !payload.issue)
      return { status: 'ignored', effect: 'action not handled' }
    const { intake_label: label } = await Policy.forProject(project.id, trx)
    const issue: GitHubIssue = {
      ...payload.issue,
      // A deleted or transferred issue is gone from this repository: its item is cancelled like a closed one.
      state: ['deleted', 'transferred'].includes(payload.action)
        ? payload.action
        : payload.issue.state,
    }
    const outcome = await IssueIntake.applyWithin(trx, project, issue, label, {
      reopened: payload.action === 'reopened',
    })
    return { status: outcome === 'ignored' ? 'ignored' : 'processed', effect: outcome }
  }

  /** New check or status facts: re-judge the runs waiting on that commit; refresh the default branch's state. */
  static async #commitChecks(
    trx: TransactionClientContract,
    project: Project,
    sha: unknown,
    branches: unknown[],
    pullRequests: { number?: number }[] | undefined
  ): Promise<Outcome> {
    const runIds = new Set<number>()
    if (typeof sha === 'string')
      for (const id of await pendingRuns(trx, project.id, 'head_sha', sha)) runIds.add(id)
    for (const pull of pullRequests ?? []) {
      if (typeof pull?.number === 'number')
        for (const id of await pendingRuns(trx, project.id, 'pr_number', pull.number))
          runIds.add(id)
    }
    for (const runId of runIds) await GateEvaluator.scheduleReevaluation(trx, runId)
    const onDefaultBranch = branches.includes(project.repoDefaultBranch)
    if (onDefaultBranch) await GitHubSync.scheduleDefaultBranchRefresh(trx, project.id)
    if (runIds.size === 0 && !onDefaultBranch)
      return { status: 'ignored', effect: 'no run waits on this commit' }
    return { status: 'processed', effect: `re-evaluating ${runIds.size} run(s)` }
  }

  static async #pullRequest(
    trx: TransactionClientContract,
    project: Project,
    number: unknown,
    headSha: unknown,
    synchronized: boolean
  ): Promise<Outcome> {
    const runIds = new Set<number>()
    if (typeof number === 'number')
      for (const id of await pendingRuns(trx, project.id, 'pr_number', number)) runIds.add(id)
    if (typeof headSha === 'string')
      for (const id of await pendingRuns(trx, project.id, 'head_sha', headSha)) runIds.add(id)
    for (const runId of runIds) await GateEvaluator.scheduleReevaluation(trx, runId)
    // New commits on a PR whose item is completed: the verdict no longer covers its head.
    const changed =
      synchronized && typeof number === 'number'
        ? await acceptedRunsMovedFrom(trx, project.id, number, headSha)
        : []
    for (const run of changed)
      await GateEvaluator.pullRequestChangedAfterAcceptance(
        trx,
        run,
        typeof headSha === 'string' ? headSha : null
      )
    if (runIds.size === 0 && changed.length === 0)
      return { status: 'ignored', effect: 'no run waits on this pull request' }
    return {
      status: 'processed',
      effect: `re-evaluating ${runIds.size} run(s); ${changed.length} accepted run(s) changed`,
    }
  }
}

/**
 * Runs of the project whose gates still wait (or are judged again after acceptance), by
 * commit (reported or judged head) or pull request; partial indexes serve each.
 */
async function pendingRuns(
  trx: TransactionClientContract,
  projectId: number,
  column: 'head_sha' | 'pr_number',
  value: string | number
): Promise<number[]> {
  const rows = await trx
    .from('runs')
    .where('project_id', projectId)
    .where((query) => {
      query.where(column, value)
      if (column === 'head_sha') query.orWhere('judged_head_sha', value)
    })
    .where((query) => query.where('gate_status', 'pending').orWhereNotNull('pr_changed_at'))
    .select('id')
  return rows.map((row) => row.id as number)
}

/** Accepted runs of completed items on this PR whose judged head is not the new one, locked. */
async function acceptedRunsMovedFrom(
  trx: TransactionClientContract,
  projectId: number,
  pullNumber: number,
  headSha: unknown
) {
  const runs = await Run.query({ client: trx })
    .where('projectId', projectId)
    .where('prNumber', pullNumber)
    .where('gateStatus', 'passed')
    .where('status', 'succeeded')
    .whereHas('workItem', (item) => item.where('status', 'completed'))
    .forUpdate()
  return runs.filter((run) => typeof headSha !== 'string' || run.judgedHeadSha !== headSha)
}
