import { DateTime } from 'luxon'
import db from '@adonisjs/lucid/services/db'
import type { TransactionClientContract } from '@adonisjs/lucid/types/database'
import Run, { type RunCosts, type RunTests } from '#models/run'
import WorkItem from '#models/work_item'
import type Agent from '#models/agent'
import Policy from '#models/policy'
import AuditEvent from '#models/audit_event'
import Claimable from '#infrastructure/claimable'
import GateEvaluator from '#services/runs/gate_evaluator'
import GitHubReport from '#services/github/github_report'
import InvalidTransition from '#exceptions/invalid_transition'
import Question from '#models/question'
import GitHubQuestions from '#services/github/github_questions'

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
 * How a run ends (spec §2) and what that does to its work item. Each transition is one
 * transaction that locks the item, then the run (the same order everywhere, so transitions
 * never deadlock), writes its audit event and enqueues its follow-up jobs.
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
      if (run.cancelRequestedAt) return this.#endStoppedRun(trx, run, agent, report.outcome)

      const policies = await Policy.forProject(run.projectId, trx)
      run.status = report.outcome
      if (report.outcome === 'failed') {
        await run.save()
        await AuditEvent.record(trx, {
          actor: agent,
          action: 'run.failed',
          subject: run,
          details: { error: run.error },
        })
        await item.retryOrFail(trx, policies, { run, reason: 'the agent reported failure' })
        await GitHubReport.runFinished(trx, run, item, policies)
        return
      }
      run.merge({ gateStatus: 'pending', gateResults: [] })
      await run.save()
      item.status = 'verifying'
      await item.save()
      await AuditEvent.record(trx, {
        actor: agent,
        action: 'run.succeeded',
        subject: run,
        details: { pr_url: run.prUrl },
      })
      await GateEvaluator.evaluateWithin(trx, run, item)
    })
  }

  /** The agent gives the item back unworked: `pending` again, and the attempt does not count. */
  static async release(run: Run, agent: Agent, reason?: string | null): Promise<RunSettlement> {
    return this.#transition(run, async (trx, item) => {
      if (!run.isRunning) {
        if (run.status === 'released' || isStoppedOnRequest(run)) return
        throw new InvalidTransition(`Run ${run.id} already finished as ${run.status}.`)
      }
      run.merge({ finishedAt: DateTime.now(), error: reason ?? null })
      if (run.cancelRequestedAt) return this.#endStoppedRun(trx, run, agent, 'released')

      run.status = 'released'
      await run.save()
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
      await AuditEvent.record(trx, {
        actor: agent,
        action: 'run.released',
        subject: run,
        details: { reason: reason ?? null },
      })
      await Claimable.announce(trx, item.projectId)
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
      if (run.cancelRequestedAt) return this.#endStoppedRun(trx, run, agent, 'needs_input')

      run.status = 'needs_input'
      await run.save()
      item.merge({
        status: 'blocked',
        attempts: Math.max(0, item.attempts - 1),
        lockedByAgentId: null,
        lockedAt: null,
        affinityAgentId: null,
        affinityUntil: null,
      })
      await item.save()
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
      await AuditEvent.record(trx, {
        actor: agent,
        action: 'question.asked',
        subject: item,
        details: { run_id: run.id, question_id: question.id, question: asked.question },
      })
      await GitHubQuestions.schedulePost(trx, question, item)
    })
    return { ...settled, question, repeated }
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
      if (run.cancelRequestedAt) {
        await this.#endStoppedRun(trx, run, 'system', reason)
      } else {
        run.status = 'timed_out'
        await run.save()
        await AuditEvent.record(trx, {
          actor: 'system',
          action: 'run.timed_out',
          subject: run,
          details: { reason },
        })
        await item.retryOrFail(trx, policies, { run, reason: run.error! })
        await GitHubReport.runFinished(trx, run, item, policies)
      }
      return { run, workItem: item, reason }
    })
  }

  /** Locks item then run, applies the change unless it is a repeat, and answers the settled state. */
  static async #transition(
    run: Run,
    change: (trx: TransactionClientContract, item: WorkItem) => Promise<void>
  ): Promise<RunSettlement> {
    return db.transaction(async (trx) => {
      const item = await WorkItem.findOrFail(run.workItemId, { client: trx })
      await item.lockRowIn(trx)
      await run.lockRowIn(trx)
      await change(trx, item)
      return { run, workItem: item }
    })
  }

  /** A run asked to stop ends as `cancelled`; its item stays as the human left it. */
  static async #endStoppedRun(
    trx: TransactionClientContract,
    run: Run,
    actor: Agent | 'system',
    reportedAs: string
  ) {
    run.status = 'cancelled'
    await run.save()
    await AuditEvent.record(trx, {
      actor,
      action: 'run.cancelled',
      subject: run,
      details: { reported_as: reportedAs },
    })
  }
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
