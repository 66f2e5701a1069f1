import { DateTime } from 'luxon'
import { compose } from '@adonisjs/core/helpers'
import { belongsTo, hasMany, manyToMany, scope } from '@adonisjs/lucid/orm'
import type { BelongsTo, HasMany, ManyToMany } from '@adonisjs/lucid/types/relations'
import type { TransactionClientContract } from '@adonisjs/lucid/types/database'
import { WorkItemSchema } from '#database/schema'
import { jsonColumn } from '#models/json_column'
import Project from '#models/project'
import Agent from '#models/agent'
import User from '#models/user'
import Run from '#models/run'
import {
  bulkDetails,
  withAuditedChanges,
  type AuditedOutcome,
  type BulkStep,
} from '#models/mixins/audited_changes'
import type { Actor } from '#models/audit_event'
import type { ProjectPolicies } from '#models/policy'
import Claimable from '#infrastructure/claimable'
import JobQueue from '#infrastructure/job_queue'
import InvalidTransition from '#exceptions/invalid_transition'
import Evidence from '#services/audit/evidence'
import Notifier from '#services/notifications/notifier'

export const WORK_ITEM_STATUSES = [
  'pending',
  'in_progress',
  'verifying',
  'completed',
  'failed',
  'blocked',
  'cancelled',
] as const
export type WorkItemStatus = (typeof WORK_ITEM_STATUSES)[number]
export type WorkItemSource = 'manual' | 'api' | 'github'

/** What a person enters to create a work item in the admin pages. */
export type ManualWorkItem = {
  projectId: number
  workType: string
  title: string
  payload: Record<string, unknown>
  priority: number
  maxAttempts: number | null
  dependsOnIds: number[]
}

/** Retries wait at most an hour, however many attempts came before (spec §2). */
export const MAX_RETRY_BACKOFF_SECONDS = 60 * 60

/** Exponential backoff: the policy's base after the first attempt, doubling with each further one. */
export function retryBackoffSeconds(attempts: number, baseSeconds: number) {
  const delay = baseSeconds * 2 ** Math.max(0, attempts - 1)
  return Math.min(delay, MAX_RETRY_BACKOFF_SECONDS)
}

/**
 * Why a run gave its item back (kept in the audit trail). A gate rejection (`rejected`) keeps
 * the item for the same agent for `retry_affinity_seconds`: it knows the work and its PR.
 */
export type RetryCause = { run: Run; reason: string; rejected?: boolean }

export default class WorkItem extends compose(WorkItemSchema, withAuditedChanges()) {
  declare status: WorkItemStatus
  declare source: WorkItemSource

  @jsonColumn()
  declare payload: Record<string, unknown>

  @belongsTo(() => Project)
  declare project: BelongsTo<typeof Project>

  @belongsTo(() => Agent, { foreignKey: 'assignedAgentId' })
  declare assignedAgent: BelongsTo<typeof Agent>

  @belongsTo(() => Agent, { foreignKey: 'lockedByAgentId' })
  declare lockedByAgent: BelongsTo<typeof Agent>

  @belongsTo(() => User, { foreignKey: 'approvedByUserId' })
  declare approvedBy: BelongsTo<typeof User>

  @hasMany(() => Run)
  declare runs: HasMany<typeof Run>

  /** Items that must be completed before this one is claimable. */
  @manyToMany(() => WorkItem, {
    pivotTable: 'work_item_dependencies',
    pivotForeignKey: 'work_item_id',
    pivotRelatedForeignKey: 'depends_on_id',
  })
  declare dependsOn: ManyToMany<typeof WorkItem>

  /** Items waiting for this one. */
  @manyToMany(() => WorkItem, {
    pivotTable: 'work_item_dependencies',
    pivotForeignKey: 'depends_on_id',
    pivotRelatedForeignKey: 'work_item_id',
  })
  declare dependants: ManyToMany<typeof WorkItem>

  /**
   * A work item a person entered in the admin pages (source `manual`), with the items it waits
   * for. Announced at once: it may be claimable now.
   */
  static async createManually(by: User, attributes: ManualWorkItem, ip?: string | null) {
    return WorkItem.auditedStep(
      by,
      'work_item.created',
      async (trx) => {
        const item = await WorkItem.create(
          {
            projectId: attributes.projectId,
            workType: attributes.workType,
            title: attributes.title,
            payload: attributes.payload,
            priority: attributes.priority,
            maxAttempts: attributes.maxAttempts,
            source: 'manual',
            runAfter: DateTime.now(),
          },
          { client: trx }
        )
        if (attributes.dependsOnIds.length > 0) {
          await item.related('dependsOn').attach(attributes.dependsOnIds, trx)
        }
        return {
          subject: item,
          details: { source: 'manual', depends_on: attributes.dependsOnIds },
          announce: item.projectId,
          result: item,
        }
      },
      { ip }
    )
  }

  /** The filters of the admin list; each combination has an index to walk (see docs/admin-operations.md). */
  static filtered = scope(
    (query, filters: { project?: number; status?: WorkItemStatus; work_type?: string }) => {
      if (filters.project) query.where('projectId', filters.project)
      if (filters.status) query.where('status', filters.status)
      if (filters.work_type) query.where('workType', filters.work_type)
    }
  )

  get isFinal() {
    return ['completed', 'failed', 'cancelled'].includes(this.status)
  }

  /**
   * Reviewers let items through the `require_approval` claim gate. Approving twice keeps the
   * first (false: nothing changed).
   */
  async approve(by: User, ip?: string | null, bulk?: BulkStep) {
    return this.#humanChange(
      by,
      ip,
      'work_item.approved',
      async () => {
        if (this.isFinal) throw new InvalidTransition(`Work item ${this.id} is ${this.status}.`)
        if (this.approvedAt) return { unchanged: true }
        this.approvedAt = DateTime.now()
        this.approvedByUserId = by.id
        return { announce: true }
      },
      bulk
    )
  }

  /**
   * Cancels an unfinished item. A running run is asked to stop (cancel_requested_at): the
   * agent learns it on its next heartbeat, and the run ends as `cancelled` however it reports.
   * With `runningRunId`, only while that run is the item's running one.
   */
  async cancel(
    by: User | Actor,
    ip?: string | null,
    options: { runningRunId?: number; bulk?: BulkStep } = {}
  ) {
    return this.#humanChange(
      by,
      ip,
      'work_item.cancelled',
      async (trx) => {
        if (this.isFinal)
          throw new InvalidTransition(`Work item ${this.id} is already ${this.status}.`)
        const previousStatus = this.status
        const runId = await this.#requestStopOfRunningRun(trx)
        // Cancelling from a run's page: that run must still be the one running (not a stale page).
        if (options.runningRunId !== undefined && runId !== options.runningRunId) {
          throw new InvalidTransition(
            `Run ${options.runningRunId} is no longer running; work item ${this.id} was left as it is.`
          )
        }
        this.#leave('cancelled')
        return { details: { previous_status: previousStatus, stopping_run_id: runId } }
      },
      options.bulk
    )
  }

  /**
   * The system cancels an unfinished item (its GitHub issue was closed), as a human cancel
   * would. Inside the caller's transaction; false when the item was already final.
   */
  async cancelBySystem(trx: TransactionClientContract, reason: string): Promise<boolean> {
    return this.changeAudited(
      'system',
      'work_item.cancelled',
      async () => {
        if (this.isFinal) return { unchanged: true }
        const previousStatus = this.status
        const runId = await this.#requestStopOfRunningRun(trx)
        this.#leave('cancelled')
        return { details: { reason, previous_status: previousStatus, stopping_run_id: runId } }
      },
      { client: trx }
    )
  }

  /** Gives a failed or cancelled item a fresh set of attempts. */
  async requeue(by: User | Actor, ip?: string | null, note?: string | null, bulk?: BulkStep) {
    return this.#humanChange(
      by,
      ip,
      'work_item.requeued',
      async (trx) => {
        if (!['failed', 'cancelled'].includes(this.status)) {
          throw new InvalidTransition(
            `Only failed or cancelled items can be requeued; this one is ${this.status}.`
          )
        }
        await this.#ensureNoRunStillStopping(trx)
        const previousStatus = this.status
        this.status = 'pending'
        this.attempts = 0
        this.runAfter = DateTime.now()
        this.completedAt = null
        this.affinityAgentId = null
        this.affinityUntil = null
        this.needsHumanAt = null
        // The note goes to the next attempt (its claim answer's `feedback.notes`).
        if (note) {
          await trx.table('work_item_notes').insert({
            work_item_id: this.id,
            user_id: by instanceof User ? by.id : null,
            note,
          })
        }
        return { announce: true, details: { previous_status: previousStatus, note: note ?? null } }
      },
      bulk
    )
  }

  /** A human puts the item on hold; a running run is asked to stop, as on cancel. */
  async block(by: User, reason: string, ip?: string | null) {
    await this.#humanChange(by, ip, 'work_item.blocked', async (trx) => {
      if (!['pending', 'in_progress'].includes(this.status)) {
        throw new InvalidTransition(
          `Only pending or running items can be blocked; this one is ${this.status}.`
        )
      }
      const previousStatus = this.status
      const runId = await this.#requestStopOfRunningRun(trx)
      this.#leave('blocked')
      return { details: { reason, previous_status: previousStatus, stopping_run_id: runId } }
    })
  }

  async unblock(by: User, ip?: string | null) {
    await this.#humanChange(by, ip, 'work_item.unblocked', async (trx) => {
      if (this.status !== 'blocked')
        throw new InvalidTransition(`Work item ${this.id} is not blocked.`)
      await this.#ensureNoRunStillStopping(trx)
      this.status = 'pending'
      this.runAfter = DateTime.now()
      return { announce: true }
    })
  }

  async reprioritise(by: User, priority: number, ip?: string | null, bulk?: BulkStep) {
    return this.#humanChange(
      by,
      ip,
      'work_item.reprioritised',
      async () => {
        if (this.isFinal) throw new InvalidTransition(`Work item ${this.id} is ${this.status}.`)
        const previous = this.priority
        this.priority = priority
        return { details: { from: previous, to: priority } }
      },
      bulk
    )
  }

  /** Only the pinned agent may claim the item from now on. */
  async pin(by: User, agent: Agent, ip?: string | null) {
    await this.#humanChange(by, ip, 'work_item.pinned', async () => {
      if (this.isFinal) throw new InvalidTransition(`Work item ${this.id} is ${this.status}.`)
      // Pinned to an agent that cannot take it, the item would wait forever.
      if (!agent.accepts(this.workType)) {
        throw new InvalidTransition(
          `Agent ${agent.key} does not accept work type "${this.workType}".`
        )
      }
      this.assignedAgentId = agent.id
      return { announce: true, details: { agent_id: agent.id, agent_key: agent.key } }
    })
  }

  async unpin(by: User, ip?: string | null) {
    await this.#humanChange(by, ip, 'work_item.unpinned', async () => {
      const previous = this.assignedAgentId
      if (previous === null) return { unchanged: true }
      this.assignedAgentId = null
      return { announce: true, details: { agent_id: previous } }
    })
  }

  /**
   * Step of a run's failure (failed, timed out, rejected by gates): back to `pending` after a
   * backoff while attempts remain, else `failed`. Runs inside the caller's transaction, with
   * this item locked by it.
   */
  async retryOrFail(trx: TransactionClientContract, policies: ProjectPolicies, cause: RetryCause) {
    let delay: number | null = null
    let needsHuman = false
    await this.changeAudited(
      'system',
      'work_item.retry_scheduled',
      async () => {
        const maxAttempts = this.maxAttempts ?? policies.max_attempts
        const details = {
          run_id: cause.run.id,
          reason: cause.reason,
          attempts: this.attempts,
          max_attempts: maxAttempts,
        }
        this.lockedByAgentId = null
        this.lockedAt = null
        this.affinityAgentId = null
        this.affinityUntil = null
        if (this.attempts >= maxAttempts) {
          this.status = 'failed'
          // Rejected to the end: the agent cannot get past the gates alone; a person must look (the inbox).
          if (cause.rejected) this.needsHumanAt = DateTime.now()
          needsHuman = Boolean(cause.rejected)
          return {
            action: 'work_item.failed',
            details: { ...details, needs_human: Boolean(cause.rejected) },
          }
        }
        delay = retryBackoffSeconds(this.attempts, policies.retry_backoff_seconds)
        this.status = 'pending'
        this.runAfter = DateTime.now().plus({ seconds: delay })
        if (cause.rejected && policies.retry_affinity_seconds > 0) {
          // The window starts when the item becomes claimable again, so the backoff does not eat it.
          this.affinityAgentId = cause.run.agentId
          this.affinityUntil = this.runAfter.plus({ seconds: policies.retry_affinity_seconds })
        }
        return {
          details: {
            ...details,
            run_after: this.runAfter.toISO(),
            backoff_seconds: delay,
            affinity_agent_id: this.affinityAgentId,
            affinity_until: this.affinityUntil?.toISO() ?? null,
          },
          announce: delay === 0 && this.projectId,
        }
      },
      { client: trx, locked: true }
    )
    if (needsHuman) {
      await Notifier.publish(trx, this.projectId, 'item.needs_human', {
        work_item: { id: this.id, title: this.title, attempts: this.attempts },
        run: { id: cause.run.id },
        reason: cause.reason,
      })
    }
    if (delay) {
      // Waiting claimers hear of changes, not of time passing: tell them when the backoff ends.
      await JobQueue.enqueue(
        trx,
        'announce_claimable',
        { projectId: this.projectId },
        { runAt: this.runAfter, jobKey: `announce_claimable:${this.id}` }
      )
    }
  }

  /**
   * Step of gate evaluation: the run failed only on checks that fail on the default branch too
   * (inherited_failure). The attempt is not charged and the item waits, `pending`, until the
   * default branch is green (DefaultBranchStatus wakes it), at most a day in case that news is missed.
   */
  async waitForGreenDefaultBranch(trx: TransactionClientContract, run: Run) {
    await this.changeAudited(
      'system',
      'work_item.waiting_for_default_branch',
      async () => {
        const now = DateTime.now()
        this.status = 'pending'
        this.attempts = Math.max(0, this.attempts - 1)
        this.lockedByAgentId = null
        this.lockedAt = null
        this.affinityAgentId = null
        this.affinityUntil = null
        this.runAfter = now.plus({ hours: 24 })
        this.waitsForGreenSince = now
        return {
          details: {
            run_id: run.id,
            reason: 'inherited_failure',
            run_after: this.runAfter.toISO(),
          },
        }
      },
      { client: trx, locked: true }
    )
  }

  /** Step of gate evaluation: every accept gate passed. Dependants may become claimable. */
  async recordCompletion(trx: TransactionClientContract, run: Run) {
    await this.changeAudited(
      'system',
      'work_item.completed',
      async () => {
        this.status = 'completed'
        this.completedAt = DateTime.now()
        this.lockedByAgentId = null
        this.lockedAt = null
        return { details: { run_id: run.id } }
      },
      { client: trx, locked: true }
    )
    await Evidence.record(trx, this.id)
    await Notifier.publish(trx, this.projectId, 'item.completed', {
      work_item: { id: this.id, title: this.title, attempts: this.attempts },
      run: { id: run.id, pr_url: run.prUrl, head_sha: run.headSha },
    })
    const dependantProjects = await trx
      .from('work_item_dependencies')
      .join('work_items', 'work_items.id', 'work_item_dependencies.work_item_id')
      .where('work_item_dependencies.depends_on_id', this.id)
      .where('work_items.status', 'pending')
      .distinct('work_items.project_id')
    for (const { project_id: projectId } of dependantProjects) {
      await Claimable.announce(trx, projectId)
    }
  }

  /**
   * One human action: the audited change, announced if it leaves the item claimable. As a step
   * of a bulk action, inside the batch's transaction. False when nothing changed.
   */
  async #humanChange(
    by: User | Actor,
    ip: string | null | undefined,
    action: string,
    change: (trx: TransactionClientContract) => Promise<AuditedOutcome | void>,
    bulk?: BulkStep
  ) {
    return this.changeAudited(
      by,
      action,
      async (trx) => {
        const outcome = (await change(trx)) ?? {}
        return {
          ...outcome,
          details: { ...outcome.details, ...bulkDetails(bulk) },
          announce: outcome.announce && this.status === 'pending' && this.projectId,
        }
      },
      { ip, client: bulk?.client }
    )
  }

  /** Cancelled or blocked: no agent holds the item any more. */
  #leave(status: 'cancelled' | 'blocked') {
    this.status = status
    this.lockedByAgentId = null
    this.lockedAt = null
  }

  /** The agent is told on its next heartbeat; returns the run's id, if one was running. */
  async #requestStopOfRunningRun(trx: TransactionClientContract): Promise<number | null> {
    const rows = await trx
      .from('runs')
      .where('work_item_id', this.id)
      .where('status', 'running')
      .update({
        cancel_requested_at: trx.raw('coalesce(cancel_requested_at, now())'),
        updated_at: trx.raw('now()'),
      })
      .returning('id')
    return rows[0]?.id ?? null
  }

  /** A second run must not start while the agent of a stopped one has not yet let go. */
  async #ensureNoRunStillStopping(trx: TransactionClientContract) {
    const running = await trx
      .from('runs')
      .where('work_item_id', this.id)
      .where('status', 'running')
      .first()
    if (running) {
      throw new InvalidTransition(
        `Run ${running.id} of work item ${this.id} is still stopping; try again once it has ended or timed out.`
      )
    }
  }
}
