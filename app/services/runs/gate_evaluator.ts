import { DateTime } from 'luxon'
import db from '@adonisjs/lucid/services/db'
import logger from '@adonisjs/core/services/logger'
import type { TransactionClientContract } from '@adonisjs/lucid/types/database'
import Run, { type GateStatus, type GateVerdict } from '#models/run'
import WorkItem from '#models/work_item'
import Project from '#models/project'
import Policy from '#models/policy'
import AuditEvent from '#models/audit_event'
import JobQueue from '#infrastructure/job_queue'
import { acceptGates } from '#services/runs/gates/accept_gates'
import type { GateFacts } from '#services/runs/gates/accept_gate'
import GitHubReport from '#services/github/github_report'
import GitHubClient, { GitHubFailure } from '#services/github/github_client'
import GitHubFacts from '#services/github/github_facts'
import { requiredCheckNames } from '#services/runs/gates/required_checks_gate'
import GitHubFeedbackReader, { type GitHubFeedback } from '#services/github/github_feedback'

export const EVALUATE_GATES_TASK = 'evaluate_gates'

/**
 * Judges a succeeded run by its project's accept gates (spec §4) and settles its item:
 * all passed → `completed`; any failed → the run is rejected and the item retries per §2;
 * otherwise the run stays `pending` and a job re-evaluates it when `ci_timeout_minutes` ends.
 */
export default class GateEvaluator {
  /** In a transaction of its own: for jobs, and whenever a new fact arrives. */
  static async evaluate(runId: number): Promise<GateStatus | null> {
    const facts = await this.#gatherFacts(runId)
    let feedback: GitHubFeedback | null | undefined
    while (true) {
      try {
        return await db.transaction(async (trx) => {
          const found = await Run.find(runId, { client: trx })
          if (!found) return null
          // Item before run: the lock order of every lifecycle transition.
          const item = await WorkItem.findOrFail(found.workItemId, { client: trx })
          await item.lockRowIn(trx)
          const run = await Run.findOrFail(runId, { client: trx })
          await run.lockRowIn(trx)
          return this.evaluateWithin(trx, run, item, facts, feedback)
        })
      } catch (error) {
        // A rejection keeps what GitHub said against the run: read it (no lock held), judge again.
        if (!(error instanceof FeedbackWanted) || feedback !== undefined) throw error
        feedback = await this.#gatherFeedback(runId)
      }
    }
  }

  /** Inside the caller's transaction, which holds the item's and the run's locks. */
  static async evaluateWithin(
    trx: TransactionClientContract,
    run: Run,
    item: WorkItem,
    facts?: Map<string, GateFacts>,
    feedback?: GitHubFeedback | null
  ): Promise<GateStatus | null> {
    // Settled, or the item left verifying (cancelled): nothing left to judge.
    if (run.gateStatus !== 'pending' || item.status !== 'verifying') return run.gateStatus

    const project = await Project.findOrFail(run.projectId, { client: trx })
    const policies = await Policy.forProject(project.id, trx)
    const now = DateTime.now()
    const deadline = (run.finishedAt ?? now).plus({ minutes: policies.ci_timeout_minutes })
    const context = { project, policies, now, client: trx, facts }

    const verdicts: GateVerdict[] = []
    let factsWanted = false
    for (const gate of acceptGates.filter((candidate) => candidate.appliesTo(project))) {
      let verdict: GateVerdict
      if (gate.gatherFacts && !facts?.has(gate.name)) {
        // Inside another transition: no outside call under its locks; a job fetches them at once.
        factsWanted = true
        verdict = { gate: gate.name, verdict: 'pending', reason: 'checking GitHub' }
      } else {
        verdict = await gate.evaluate(run, context)
      }
      if (verdict.verdict === 'pending' && now >= deadline) {
        verdict = { gate: gate.name, verdict: 'failed', reason: 'timed out' }
      }
      verdicts.push({ ...verdict, at: now.toISO()! })
    }
    const status = overallStatus(verdicts)
    // GitHub gates judged on fetched facts: a rejection also keeps GitHub's details (read outside the locks).
    if (status === 'failed' && facts && facts.size > 0 && feedback === undefined)
      throw new FeedbackWanted()

    const inherited = status === 'failed' && isInheritedFailure(project, verdicts, feedback)
    run.useTransaction(trx)
    run.merge({ gateResults: verdicts, gateStatus: status, gatesEvaluatedAt: now })
    if (status === 'failed' && feedback)
      run.feedback = inherited ? { ...feedback, inherited_failure: true } : feedback
    await run.save()

    if (status === 'passed') {
      await AuditEvent.record(trx, {
        actor: 'system',
        action: 'gate.passed',
        subject: run,
        details: { verdicts },
      })
      await item.recordCompletion(trx, run)
      await GitHubReport.runFinished(trx, run, item, policies)
    } else if (status === 'failed') {
      const failed = verdicts.filter((verdict) => verdict.verdict === 'failed')
      await AuditEvent.record(trx, {
        actor: 'system',
        action: 'gate.failed',
        subject: run,
        details: { verdicts, reason: inherited ? 'inherited_failure' : null },
      })
      if (inherited) {
        await item.waitForGreenDefaultBranch(trx, run)
        await GitHubReport.runFinished(trx, run, item, policies)
        return status
      }
      const reasons = failed.map((verdict) => `${verdict.gate}: ${verdict.reason}`).join('; ')
      await item.retryOrFail(trx, policies, {
        run,
        reason: `rejected by gates (${reasons})`,
        rejected: true,
      })
      await GitHubReport.runFinished(trx, run, item, policies)
    } else {
      await this.scheduleReevaluation(trx, run.id, factsWanted ? undefined : deadline)
    }
    return status
  }

  /**
   * One job per run (job key): a new fact re-enqueues it for now; otherwise it runs at the
   * deadline, where whatever is still pending fails.
   */
  static async scheduleReevaluation(
    trx: TransactionClientContract,
    runId: number,
    runAt?: DateTime
  ) {
    await JobQueue.enqueue(
      trx,
      EVALUATE_GATES_TASK,
      { runId },
      { jobKey: `evaluate_gates:${runId}`, runAt }
    )
  }

  /** Outside facts (GitHub) for the gates of a run still waiting for verdicts; fetched before any lock. */
  static async #gatherFacts(runId: number): Promise<Map<string, GateFacts>> {
    const facts = new Map<string, GateFacts>()
    const run = await Run.find(runId)
    if (!run || run.gateStatus !== 'pending') return facts
    const project = await Project.findOrFail(run.projectId)
    for (const gate of acceptGates) {
      if (!gate.gatherFacts || !gate.appliesTo(project)) continue
      try {
        facts.set(gate.name, { ok: true, value: await gate.gatherFacts(run, project) })
      } catch (error) {
        // A reason reaches audit details and the issue comment: only GitHub's own answers go there.
        if (!(error instanceof GitHubFailure))
          logger.error({ err: error, runId }, `gathering ${gate.name} facts failed`)
        const reason =
          error instanceof GitHubFailure
            ? error.message
            : 'GitHub could not be read (see the server logs)'
        facts.set(gate.name, { ok: false, reason })
      }
    }
    return facts
  }

  /** What GitHub said against a rejected run; best effort: a failure to read it never holds a verdict back. */
  static async #gatherFeedback(runId: number): Promise<GitHubFeedback | null> {
    const run = await Run.find(runId)
    if (!run || (!run.headSha && !run.prNumber)) return null
    try {
      const project = await Project.findOrFail(run.projectId)
      const client = await GitHubClient.forProject(project)
      const feedback = await GitHubFeedbackReader.read(client, {
        headSha: run.headSha,
        prNumber: run.prNumber,
      })
      // A red default branch may be why the run's checks fail: note what fails there too.
      if (project.defaultBranchStatus === 'failing') {
        const checks = await GitHubFacts.checksOn(client, project.repoDefaultBranch)
        feedback.default_branch_failing = [...checks]
          .filter(([, check]) => check.state === 'failure')
          .map(([name]) => name)
      }
      return feedback
    } catch (error) {
      logger.warn({ err: error, runId }, 'reading the feedback of a rejected run failed')
      return null
    }
  }

  /** The periodic sweep: every run still waiting for verdicts, in case a fact or a job was missed. */
  static async recheckPending(): Promise<{ runId: number; status: GateStatus | null }[]> {
    const rows = await db
      .from('runs')
      .join('work_items', 'work_items.id', 'runs.work_item_id')
      .where('runs.gate_status', 'pending')
      .where('work_items.status', 'verifying')
      .orderBy('runs.gates_evaluated_at')
      .select('runs.id')
    const results = []
    for (const { id } of rows) {
      try {
        results.push({ runId: id as number, status: await this.evaluate(id) })
      } catch (error) {
        // One run that cannot be judged must not stop the sweep for the runs after it, sweep after sweep.
        logger.error({ runId: id, err: error }, 'gate re-check failed')
        results.push({ runId: id as number, status: null })
      }
    }
    return results
  }
}

/**
 * Not the agent's fault (issue 12): only `required_checks` failed, and every required check
 * failing on the run's head also fails on the default branch, which is red.
 */
function isInheritedFailure(
  project: Project,
  verdicts: GateVerdict[],
  feedback: GitHubFeedback | null | undefined
) {
  const redOnDefault = new Set(feedback?.default_branch_failing ?? [])
  if (project.defaultBranchStatus !== 'failing' || redOnDefault.size === 0) return false
  const failed = verdicts.filter((verdict) => verdict.verdict === 'failed')
  if (failed.some((verdict) => verdict.gate !== 'required_checks')) return false
  const required = new Set(requiredCheckNames(project))
  const failingRequired = (feedback?.checks ?? [])
    .map((check) => check.name)
    .filter((name) => required.has(name))
  return failingRequired.length > 0 && failingRequired.every((name) => redOnDefault.has(name))
}

/** Thrown inside the evaluation transaction when a rejection wants GitHub's details first. */
class FeedbackWanted extends Error {}

/** Pending until every gate has a verdict; any failure decides at once. No gates: passed. */
function overallStatus(verdicts: GateVerdict[]): GateStatus {
  if (verdicts.some((verdict) => verdict.verdict === 'failed')) return 'failed'
  if (verdicts.every((verdict) => verdict.verdict === 'passed')) return 'passed'
  return 'pending'
}
