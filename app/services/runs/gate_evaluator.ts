import { DateTime } from 'luxon'
import logger from '@adonisjs/core/services/logger'
import type { TransactionClientContract } from '@adonisjs/lucid/types/database'
import Run, { type GateStatus, type GateVerdict } from '#models/run'
import type WorkItem from '#models/work_item'
import Project from '#models/project'
import Policy from '#models/policy'
import JobQueue from '#infrastructure/job_queue'
import { acceptGates } from '#services/runs/gates/accept_gates'
import type { GateFacts } from '#services/runs/gates/accept_gate'
import { GitHubFailure } from '#services/github/github_client'
import { gateVerdicts } from '#infrastructure/metrics'

export const EVALUATE_GATES_TASK = 'evaluate_gates'

/** What the gates said of a run: the overall status and each gate's verdict. */
export type GateJudgement = { status: GateStatus; verdicts: GateVerdict[] }

/**
 * Judges a succeeded run by its project's accept gates (spec §4): records each gate's verdict
 * on the run and, while any is pending, schedules a re-evaluation for when `ci_timeout_minutes`
 * ends. What a verdict does to the run's item is RunLifecycle's (the one place a run ends).
 */
export default class GateEvaluator {
  /**
   * Inside the caller's transaction, which holds the item's and the run's locks. Null when
   * there is nothing left to judge (settled already, or the item left verifying).
   */
  static async judge(
    trx: TransactionClientContract,
    run: Run,
    item: WorkItem,
    facts?: Map<string, GateFacts>
  ): Promise<GateJudgement | null> {
    if (run.gateStatus !== 'pending' || item.status !== 'verifying') return null

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
      gateVerdicts.inc({ gate: verdict.gate, result: verdict.verdict })
    }
    const status = overallStatus(verdicts)

    run.useTransaction(trx)
    run.merge({ gateResults: verdicts, gateStatus: status, gatesEvaluatedAt: now })
    await run.save()
    if (status === 'pending') {
      await this.scheduleReevaluation(trx, run.id, factsWanted ? undefined : deadline)
    }
    return { status, verdicts }
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
  static async gatherFacts(runId: number): Promise<Map<string, GateFacts>> {
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
}

/** Pending until every gate has a verdict; any failure decides at once. No gates: passed. */
function overallStatus(verdicts: GateVerdict[]): GateStatus {
  if (verdicts.some((verdict) => verdict.verdict === 'failed')) return 'failed'
  if (verdicts.every((verdict) => verdict.verdict === 'passed')) return 'passed'
  return 'pending'
}
