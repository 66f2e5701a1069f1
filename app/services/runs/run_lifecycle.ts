import { DateTime } from 'luxon'
import db from '@adonisjs/lucid/services/db'
import logger from '@adonisjs/core/services/logger'
import type { TransactionClientContract } from '@adonisjs/lucid/types/database'
import Run, {
  type GateStatus,
  type GateVerdict,
  type ReviewDecision,
  type RunCosts,
  type RunTests,
} from '#models/run'
import WorkItem from '#models/work_item'
import type Agent from '#models/agent'
import type User from '#models/user'
import Policy from '#models/policy'
import Claimable from '#infrastructure/claimable'
import GateEvaluator, { FeedbackWanted } from '#services/runs/gate_evaluator'
import type { GitHubFeedback } from '#services/github/github_feedback'
import Question from '#models/question'
import AuditEvent from '#models/audit_event'
import GitHubQuestions from '#services/github/github_questions'
import type { GateFacts } from '#services/runs/gates/accept_gate'
import GitHubReport from '#services/github/github_report'
import InvalidTransition from '#exceptions/invalid_transition'
import { runDuration } from '#infrastructure/metrics'
import { bulkDetails, inTransaction, type BulkStep } from '#models/mixins/audited_changes'
import Notifier from '#services/notifications/notifier'

/** What an agent reports when it finishes a run (POST /runs/:id/complete). */
export type CompletionReport = {
  outcome: 'succeeded' | 'failed'
  summary?: string | null
  error?: string | null
  branchName?: string | null
  prUrl?: string | null
  prNumber?: number | null
  headSha?: string | null
  logsUrl?: string | null
  artifactsUrl?: string | null
  costs?: RunCosts | null
  tests?: RunTests | null
}

export type RunSettlement = { run: Run; workItem: WorkItem }

/** What an agent asks a person (POST /runs/:id/questions). */
export type AskedQuestion = {
  question: string
  choices?: string[] | null
  context?: Record<string, unknown> | null
}

/** Why the reaper ends a run. */
export type TimeoutReason = 'lease_expired' | 'max_run_time'

/**
 * Every way a run ends. A `failed`, `timed_out` or `rejected` run retries its item (or fails
 * it, attempts spent); `accepted` completes it; `released` gives it back unworked; a run that
 * was asked to stop ends `cancelled` and leaves the item as the human set it.
 */
export type RunEnding =
  | { as: 'accepted'; verdicts: GateVerdict[] }
  | { as: 'rejected'; verdicts: GateVerdict[]; inherited: boolean }
  | { as: 'failed'; by: Agent }
  | { as: 'timed_out'; reason: TimeoutReason }
  | { as: 'released'; by: Agent | User; reason: string | null; bulk?: BulkStep }
  | { as: 'cancelled'; by: Agent | User | 'system'; reportedAs: string; bulk?: BulkStep }
  | { as: 'needs_input'; by: Agent; questionId: number }

/**
 * How a run ends (spec §2) and what that does to its work item. Each transition is one
 * transaction that locks the item, then the run (the same order everywhere, so transitions
 * never deadlock). Whatever ends the run, `#end` settles it: the run's status and audit event,
 * the item (completed, retried with backoff, failed, given back), and the GitHub report.
 *
 * A run whose stop was requested (item cancelled or blocked by a human) ends as `cancelled`
 * however it ends, and leaves its item as the human set it.
 */
export default class RunLifecycle {
  /**
   * The agent's final report. Success sends the item to `verifying` and evaluates the accept
   * gates at once; failure retries the item. Repeating the same outcome answers the same;
   * a different outcome for a finished run is a conflict.
   */
  static async complete(run: Run, agent: Agent, report: CompletionReport): Promise<RunSettlement> {
    return this.#transition(run, async (trx, item) => {
      if (!run.isRunning) {
        const sameAnswer = run.status === report.outcome || isStoppedOnRequest(run)
        if (sameAnswer) return
        throw new InvalidTransition(
          `Run ${run.id} already finished as ${run.status}; it cannot now be reported as ${report.outcome}.`
        )
      }
      run.merge({
        summary: report.summary ?? null,
        error: report.error ?? null,
        branchName: report.branchName ?? null,
        prUrl: report.prUrl ?? null,
        prNumber: report.prNumber ?? null,
        headSha: report.headSha ?? null,
        logsUrl: report.logsUrl ?? null,
        artifactsUrl: report.artifactsUrl ?? null,
        costs: report.costs ?? null,
        costUsd: report.costs?.usd ?? 0,
        tests: report.tests ?? null,
        finishedAt: DateTime.now(),
      })
      if (run.cancelRequestedAt) {
        return this.#end(trx, run, item, { as: 'cancelled', by: agent, reportedAs: report.outcome })
      }
      if (report.outcome === 'failed') return this.#end(trx, run, item, { as: 'failed', by: agent })

      item.status = 'verifying'
      await item.save()
      await run.changeAudited(
        agent,
        'run.succeeded',
        async () => {
          run.merge({ status: 'succeeded', gateStatus: 'pending', gateResults: [] })
          return { details: { pr_url: run.prUrl } }
        },
        { client: trx, locked: true }
      )
      await this.#judge(trx, run, item)
    })
  }

  /**
   * The agent asks a person (issue 12): the run ends `needs_input` (not an attempt: the count
   * goes back, as on release), the item waits `blocked` with the open question until it is
   * answered. The same question asked again for the same run is answered the same.
   */
  static async ask(
    run: Run,
    agent: Agent,
    asked: AskedQuestion
  ): Promise<RunSettlement & { question: Question | null; repeated: boolean }> {
    let question: Question | null = null
    let repeated = false
    const settled = await this.#transition(run, async (trx, item) => {
      if (!run.isRunning) {
        const earlier = await Question.query({ client: trx }).where('runId', run.id).first()
        if (earlier && sameQuestion(earlier, asked)) {
          question = earlier
          repeated = true
          return
        }
        if (isStoppedOnRequest(run)) return
        throw new InvalidTransition(
          `Run ${run.id} already finished as ${run.status}; it can no longer ask.`
        )
      }
      run.finishedAt = DateTime.now()
      if (run.cancelRequestedAt) {
        await this.#end(trx, run, item, { as: 'cancelled', by: agent, reportedAs: 'needs_input' })
        return
      }
      question = await Question.create(
        {
          workItemId: item.id,
          projectId: item.projectId,
          runId: run.id,
          agentId: agent.id,
          question: asked.question,
          choices: asked.choices ?? null,
          context: asked.context ?? null,
          status: 'open',
        },
        { client: trx }
      )
      await this.#end(trx, run, item, { as: 'needs_input', by: agent, questionId: question.id })
      await AuditEvent.record(trx, {
        actor: agent,
        action: 'question.asked',
        subject: item,
        details: { run_id: run.id, question_id: question.id, question: asked.question },
      })
      await GitHubQuestions.schedulePost(trx, question, item)
      await Notifier.publish(trx, item.projectId, 'question.asked', {
        work_item: { id: item.id, title: item.title },
        run: { id: run.id },
        agent: { id: agent.id, key: agent.key },
        question: { id: question.id, text: asked.question, choices: asked.choices ?? null },
      })
    })
    return { ...settled, question, repeated }
  }

  /**
   * The agent gives the item back unworked: `pending` again, and the attempt does not count.
   * A maintainer may do the same in bulk (the agent learns on its next call that the run has
   * ended). `released` is false when the run had already been released or stopped.
   */
  static async release(
    run: Run,
    by: Agent | User,
    reason?: string | null,
    bulk?: BulkStep
  ): Promise<RunSettlement & { released: boolean }> {
    let released = false
    const settled = await this.#transition(
      run,
      async (trx, item) => {
        if (!run.isRunning) {
          if (run.status === 'released' || isStoppedOnRequest(run)) return
          throw new InvalidTransition(`Run ${run.id} already finished as ${run.status}.`)
        }
        run.merge({ finishedAt: DateTime.now(), error: reason ?? null })
        await this.#end(
          trx,
          run,
          item,
          run.cancelRequestedAt
            ? { as: 'cancelled', by, reportedAs: 'released', bulk }
            : { as: 'released', by, reason: reason ?? null, bulk }
        )
        released = true
      },
      bulk?.client
    )
    return { ...settled, released }
  }

  /**
   * The reaper's verdict on one run: `timed_out` when its lease expired or it ran longer than
   * `max_run_seconds`; the item retries. Checked again under the lock, since a heartbeat may
   * have arrived since the run was picked. Returns null when the run is fine after all.
   */
  static async timeOut(runId: number): Promise<(RunSettlement & { reason: TimeoutReason }) | null> {
    return db.transaction(async (trx) => {
      const found = await Run.find(runId, { client: trx })
      if (!found) return null
      const item = await WorkItem.findOrFail(found.workItemId, { client: trx })
      await item.lockRowIn(trx)
      const run = await found.lockRowIn(trx)
      if (!run.isRunning) return null
      const policies = await Policy.forProject(run.projectId, trx)
      const reason = timeoutReason(run, policies.max_run_seconds)
      if (!reason) return null

      run.merge({
        finishedAt: DateTime.now(),
        error: reason === 'lease_expired' ? 'lease expired' : 'max run time passed',
      })
      await this.#end(
        trx,
        run,
        item,
        run.cancelRequestedAt
          ? { as: 'cancelled', by: 'system', reportedAs: reason }
          : { as: 'timed_out', reason }
      )
      return { run, workItem: item, reason }
    })
  }

  /** A reviewer's decision for the `human_review` gate; the gates are judged again at once. */
  static async review(
    run: Run,
    by: User,
    decision: ReviewDecision,
    note?: string | null,
    ip?: string | null
  ): Promise<RunSettlement> {
    return this.#transition(run, async (trx, item) => {
      await run.recordReview(by, decision, note ?? null, { client: trx, locked: true, ip })
      await this.#judge(trx, run, item)
    })
  }

  /**
   * Judges a run's accept gates in a transaction of its own: for jobs, and whenever a new fact
   * arrives. Outside facts (GitHub) are fetched first, before any lock is taken.
   */
  static async evaluateGates(runId: number): Promise<GateStatus | null> {
    const facts = await GateEvaluator.gatherFacts(runId)
    let feedback: GitHubFeedback | null | undefined
    while (true) {
      try {
        return await db.transaction(async (trx) => {
          const found = await Run.find(runId, { client: trx })
          if (!found) return null
          const item = await WorkItem.findOrFail(found.workItemId, { client: trx })
          await item.lockRowIn(trx)
          const run = await found.lockRowIn(trx)
          return this.#judge(trx, run, item, facts, feedback)
        })
      } catch (error) {
        // A rejection keeps what GitHub said against the run: read it (no lock held), judge again.
        if (!(error instanceof FeedbackWanted) || feedback !== undefined) throw error
        feedback = await GateEvaluator.gatherFeedback(runId)
      }
    }
  }

  /** The periodic sweep: every run still waiting for verdicts, in case a fact or a job was missed. */
  static async recheckPendingGates(): Promise<{ runId: number; status: GateStatus | null }[]> {
    const rows = await db
      .from('runs')
      .join('work_items', 'work_items.id', 'runs.work_item_id')
      .where((query) =>
        query
          .where((pending) =>
            pending.where('runs.gate_status', 'pending').where('work_items.status', 'verifying')
          )
          // Accepted runs whose pull request got new commits are judged until they pass again.
          .orWhere((changed) =>
            changed.where('runs.gate_status', 'passed').whereNotNull('runs.pr_changed_at')
          )
      )
      .orderBy('runs.gates_evaluated_at')
      .select('runs.id')
    const results = []
    for (const { id } of rows) {
      try {
        results.push({ runId: id as number, status: await this.evaluateGates(id) })
      } catch (error) {
        // One run that cannot be judged must not stop the sweep for the runs after it, sweep after sweep.
        logger.error({ runId: id, err: error }, 'gate re-check failed')
        results.push({ runId: id as number, status: null })
      }
    }
    return results
  }

  /** Asks the gates and ends the run on a decided verdict; answers the run's gate status. */
  static async #judge(
    trx: TransactionClientContract,
    run: Run,
    item: WorkItem,
    facts?: Map<string, GateFacts>,
    feedback?: GitHubFeedback | null
  ): Promise<GateStatus | null> {
    const judgement = await GateEvaluator.judge(trx, run, item, facts, feedback)
    if (!judgement) return run.gateStatus
    // An accepted run judged again (its PR moved): its item stays as it is.
    if (judgement.afterAcceptance) return judgement.status
    if (judgement.status === 'passed') {
      await this.#end(trx, run, item, { as: 'accepted', verdicts: judgement.verdicts })
    } else if (judgement.status === 'failed') {
      await this.#end(trx, run, item, {
        as: 'rejected',
        verdicts: judgement.verdicts,
        inherited: judgement.inherited ?? false,
      })
    }
    return judgement.status
  }

  /**
   * The one place a run ends, inside the transaction that holds the item's and the run's
   * locks: the run's final status and audit event, then its item, then the GitHub report.
   */
  static async #end(trx: TransactionClientContract, run: Run, item: WorkItem, ending: RunEnding) {
    item.useTransaction(trx)
    const event = runEvent(run, ending)
    await run.changeAudited(
      event.actor,
      event.action,
      async () => {
        if (event.status) run.status = event.status
        return { details: event.details }
      },
      { client: trx, locked: true }
    )
    runDuration.observe(
      { outcome: ending.as },
      Math.max(0, DateTime.now().diff(run.startedAt).as('seconds'))
    )

    // A run asked to stop leaves its item as the human set it; the item's comment shows the run.
    if (ending.as === 'cancelled') {
      await GitHubReport.itemChanged(trx, item)
      return
    }
    if (ending.as === 'released') {
      item.merge({
        status: 'pending',
        attempts: Math.max(0, item.attempts - 1),
        lockedByAgentId: null,
        lockedAt: null,
        runAfter: DateTime.now(),
        // Given back unworked: whoever comes next may take it, not only the agent that let go.
        affinityAgentId: null,
        affinityUntil: null,
      })
      await item.save()
      await Claimable.announce(trx, item.projectId)
      await GitHubReport.itemChanged(trx, item)
      return
    }
    if (ending.as === 'needs_input') {
      // Not an attempt (as a release); the item waits for a person's answer.
      item.merge({
        status: 'blocked',
        attempts: Math.max(0, item.attempts - 1),
        lockedByAgentId: null,
        lockedAt: null,
        affinityAgentId: null,
        affinityUntil: null,
      })
      await item.save()
      return
    }
    const policies = await Policy.forProject(run.projectId, trx)
    if (ending.as === 'rejected') await publishRejection(trx, run, item, ending)
    if (ending.as === 'accepted') {
      await item.recordCompletion(trx, run)
    } else if (ending.as === 'rejected' && ending.inherited) {
      await item.waitForGreenDefaultBranch(trx, run)
    } else {
      await item.retryOrFail(trx, policies, {
        run,
        reason: retryReason(run, ending),
        rejected: ending.as === 'rejected',
      })
    }
    await GitHubReport.runFinished(trx, run, item, policies)
  }

  /** Locks item then run, applies the change unless it is a repeat, and answers the settled state. */
  static async #transition(
    run: Run,
    change: (trx: TransactionClientContract, item: WorkItem) => Promise<unknown>,
    client?: TransactionClientContract
  ): Promise<RunSettlement> {
    return inTransaction(client, async (trx) => {
      const item = await WorkItem.findOrFail(run.workItemId, { client: trx })
      await item.lockRowIn(trx)
      await run.lockRowIn(trx)
      await change(trx, item)
      return { run, workItem: item }
    })
  }
}

/** The run's final status (gate verdicts leave it `succeeded`) and the audit event of its end. */
function runEvent(
  run: Run,
  ending: RunEnding
): {
  status?: Run['status']
  actor: Agent | User | 'system'
  action: string
  details: Record<string, unknown>
} {
  switch (ending.as) {
    case 'accepted':
      return { actor: 'system', action: 'gate.passed', details: { verdicts: ending.verdicts } }
    case 'rejected':
      return {
        actor: 'system',
        action: 'gate.failed',
        details: {
          verdicts: ending.verdicts,
          codes: ending.verdicts
            .filter((verdict) => verdict.verdict === 'failed')
            .map((verdict) => verdict.code ?? null),
          reason: ending.inherited ? 'inherited_failure' : null,
        },
      }
    case 'needs_input':
      return {
        status: 'needs_input',
        actor: ending.by,
        action: 'run.needs_input',
        details: { question_id: ending.questionId },
      }
    case 'failed':
      return {
        status: 'failed',
        actor: ending.by,
        action: 'run.failed',
        details: { error: run.error },
      }
    case 'timed_out':
      return {
        status: 'timed_out',
        actor: 'system',
        action: 'run.timed_out',
        details: { reason: ending.reason },
      }
    case 'released':
      return {
        status: 'released',
        actor: ending.by,
        action: 'run.released',
        details: { reason: ending.reason, ...bulkDetails(ending.bulk) },
      }
    case 'cancelled':
      return {
        status: 'cancelled',
        actor: ending.by,
        action: 'run.cancelled',
        details: { reported_as: ending.reportedAs, ...bulkDetails(ending.bulk) },
      }
  }
}

/** Why a failed, timed-out or rejected run gives its item back (kept in the audit trail). */
function retryReason(
  run: Run,
  ending: Extract<RunEnding, { as: 'failed' | 'timed_out' | 'rejected' }>
) {
  if (ending.as === 'failed') return 'the agent reported failure'
  if (ending.as === 'timed_out') return run.error!
  const reasons = ending.verdicts
    .filter((verdict) => verdict.verdict === 'failed')
    .map(
      (verdict) => `${verdict.gate}${verdict.code ? ` [${verdict.code}]` : ''}: ${verdict.reason}`
    )
    .join('; ')
  return `rejected by gates (${reasons})`
}

/** run.rejected, whatever comes of the item (retry, inherited-failure wait, failure). */
async function publishRejection(
  trx: TransactionClientContract,
  run: Run,
  item: WorkItem,
  ending: Extract<RunEnding, { as: 'rejected' }>
) {
  await Notifier.publish(trx, item.projectId, 'run.rejected', {
    run: { id: run.id, attempt: run.attempt, pr_url: run.prUrl, head_sha: run.headSha },
    work_item: { id: item.id, title: item.title },
    agent: { id: run.agentId },
    inherited_failure: ending.inherited,
    reasons: ending.verdicts
      .filter((verdict) => verdict.verdict === 'failed')
      .map((verdict) => ({
        gate: verdict.gate,
        code: verdict.code ?? null,
        reason: verdict.reason,
      })),
  })
}

function sameQuestion(earlier: Question, asked: AskedQuestion) {
  return (
    earlier.question === asked.question &&
    JSON.stringify(earlier.choices ?? null) === JSON.stringify(asked.choices ?? null) &&
    JSON.stringify(earlier.context ?? null) === JSON.stringify(asked.context ?? null)
  )
}

function isStoppedOnRequest(run: Run) {
  return run.status === 'cancelled' && run.cancelRequestedAt !== null
}

function timeoutReason(run: Run, maxRunSeconds: number): TimeoutReason | null {
  const now = DateTime.now()
  if (run.leaseExpiresAt <= now) return 'lease_expired'
  if (run.startedAt.plus({ seconds: maxRunSeconds }) <= now) return 'max_run_time'
  return null
}
