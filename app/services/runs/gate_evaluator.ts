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
import { PULL_REQUEST_FACTS, type GateFacts } from '#services/runs/gates/accept_gate'
import { pullNumberOf, pullRequestGate } from '#services/runs/gates/pull_request_gate'
import Agent from '#models/agent'
import GitHubReport from '#services/github/github_report'
import GitHubClient, { GitHubFailure } from '#services/github/github_client'
import GatehouseStatus from '#services/github/gatehouse_status'
import { fetchPullRequestFacts, type PullRequestFacts } from '#services/github/pull_request_facts'

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
    return db.transaction(async (trx) => {
      const found = await Run.find(runId, { client: trx })
      if (!found) return null
      // Item before run: the lock order of every lifecycle transition.
      const item = await WorkItem.findOrFail(found.workItemId, { client: trx })
      await item.lockRowIn(trx)
      const run = await Run.findOrFail(runId, { client: trx })
      await run.lockRowIn(trx)
      return this.evaluateWithin(trx, run, item, facts)
    })
  }

  /** Inside the caller's transaction, which holds the item's and the run's locks. */
  static async evaluateWithin(
    trx: TransactionClientContract,
    run: Run,
    item: WorkItem,
    facts?: Map<string, GateFacts>
  ): Promise<GateStatus | null> {
    const rechecking = isRejudgingAfterAcceptance(run)
    // Settled, or the item left verifying (cancelled): nothing left to judge.
    if (!rechecking && (run.gateStatus !== 'pending' || item.status !== 'verifying'))
      return run.gateStatus

    const project = await Project.findOrFail(run.projectId, { client: trx })
    const policies = await Policy.forProject(project.id, trx)
    const agent = await Agent.find(run.agentId, { client: trx })
    const now = DateTime.now()
    const deadline = (run.finishedAt ?? now).plus({ minutes: policies.ci_timeout_minutes })
    const context = { project, policies, now, client: trx, facts, item, agent }
    const pullRequest = pullRequestFactsIn(facts)
    const shownBefore = shown(run.gateResults ?? [])
    const statusBefore = JSON.stringify(GatehouseStatus.statusOf(run))
    run.useTransaction(trx)
    if (pullRequest && run.judgedHeadSha && run.judgedHeadSha !== pullRequest.head.sha)
      await this.#headMoved(trx, run, pullRequest.head.sha)

    const verdicts: GateVerdict[] = []
    let factsWanted = false
    const reportsPullRequest = pullNumberOf(run) !== null
    for (const gate of acceptGates.filter((candidate) => candidate.appliesTo(project, policies))) {
      let verdict: GateVerdict
      const wanted =
        (gate.gatherFacts && !facts?.has(gate.name)) ||
        (gate.usesPullRequest && reportsPullRequest && !facts?.has(PULL_REQUEST_FACTS))
      if (wanted) {
        // Inside another transition: no outside call under its locks; a job fetches them at once.
        factsWanted = true
        verdict = { gate: gate.name, verdict: 'pending', reason: 'checking GitHub' }
      } else {
        verdict = await gate.evaluate(run, context)
      }
      // After acceptance nothing times out: the warning stays until the new head passes.
      if (verdict.verdict === 'pending' && now >= deadline && !rechecking) {
        verdict = { gate: gate.name, verdict: 'failed', reason: 'timed out', code: verdict.code }
      }
      if (gate === pullRequestGate && pullRequest) verdict.facts = pullRequest
      verdicts.push({ ...verdict, at: now.toISO()! })
    }
    const status = overallStatus(verdicts)
    if (pullRequest) {
      run.judgedHeadSha = pullRequest.head.sha
      run.prNumber = run.prNumber ?? pullRequest.number
    }
    run.merge({ gateResults: verdicts, gatesEvaluatedAt: now })

    if (rechecking) {
      await this.#recheckedAfterAcceptance(trx, run, status, verdicts, statusBefore)
      if (shown(verdicts) !== shownBefore || status === 'passed')
        await GitHubReport.itemChanged(trx, item, policies)
      // Still pending on the new head: webhooks and the recheck_gates sweep look again.
      if (status === 'pending' && factsWanted) await this.scheduleReevaluation(trx, run.id)
      return status
    }

    run.gateStatus = status
    await run.save()
    // Posted when it changes: GitHub keeps at most 1,000 statuses per commit and context.
    if (JSON.stringify(GatehouseStatus.statusOf(run)) !== statusBefore)
      await GatehouseStatus.schedule(trx, run)
    if (status === 'passed') {
      await AuditEvent.record(trx, {
        actor: 'system',
        action: 'gate.passed',
        subject: run,
        details: { verdicts: withoutFacts(verdicts) },
      })
      await item.recordCompletion(trx, run)
      await GitHubReport.runFinished(trx, run, item, policies)
    } else if (status === 'failed') {
      const failed = verdicts.filter((verdict) => verdict.verdict === 'failed')
      await AuditEvent.record(trx, {
        actor: 'system',
        action: 'gate.failed',
        subject: run,
        details: {
          verdicts: withoutFacts(verdicts),
          codes: failed.map((verdict) => verdict.code ?? null),
        },
      })
      const reasons = failed
        .map(
          (verdict) =>
            `${verdict.gate}${verdict.code ? ` [${verdict.code}]` : ''}: ${verdict.reason}`
        )
        .join('; ')
      await item.retryOrFail(trx, policies, { run, reason: `rejected by gates (${reasons})` })
      await GitHubReport.runFinished(trx, run, item, policies)
    } else {
      await this.scheduleReevaluation(trx, run.id, factsWanted ? undefined : deadline)
      // The comment shows the verdicts: edited when they changed, not on every look at GitHub.
      if (shown(verdicts) !== shownBefore) await GitHubReport.itemChanged(trx, item, policies)
    }
    return status
  }

  /**
   * The pull request of an accepted run got new commits (a `synchronize` webhook): the item
   * stays completed, the run carries a warning, Gatehouse's commit status goes back to
   * `pending`, and the gates are judged again on the new head until they pass.
   */
  static async pullRequestChangedAfterAcceptance(
    trx: TransactionClientContract,
    run: Run,
    newHeadSha: string | null
  ) {
    run.useTransaction(trx)
    const first = run.prChangedAt === null
    run.prChangedAt = run.prChangedAt ?? DateTime.now()
    await run.save()
    if (first)
      await AuditEvent.record(trx, {
        actor: 'system',
        action: 'run.pr_changed_after_acceptance',
        subject: run,
        details: { pr_number: run.prNumber, from: run.judgedHeadSha, to: newHeadSha },
      })
    const item = await WorkItem.findOrFail(run.workItemId, { client: trx })
    await GitHubReport.itemChanged(trx, item)
    await GatehouseStatus.schedule(trx, run, { sha: newHeadSha })
    await this.scheduleReevaluation(trx, run.id)
  }

  static async #recheckedAfterAcceptance(
    trx: TransactionClientContract,
    run: Run,
    status: GateStatus,
    verdicts: GateVerdict[],
    statusBefore: string
  ) {
    if (status === 'passed') {
      run.prChangedAt = null
      await AuditEvent.record(trx, {
        actor: 'system',
        action: 'run.pr_accepted_again',
        subject: run,
        details: { head_sha: run.judgedHeadSha, verdicts: withoutFacts(verdicts) },
      })
    }
    await run.save()
    if (JSON.stringify(GatehouseStatus.statusOf(run)) !== statusBefore)
      await GatehouseStatus.schedule(trx, run)
  }

  /** The PR's head moved while being judged: a human review of the old head does not carry over. */
  static async #headMoved(trx: TransactionClientContract, run: Run, headSha: string) {
    const review = run.reviewStatus
    await AuditEvent.record(trx, {
      actor: 'system',
      action: 'run.pr_head_moved',
      subject: run,
      details: { from: run.judgedHeadSha, to: headSha, review_withdrawn: review },
    })
    if (review) run.merge({ reviewStatus: null, reviewedByUserId: null, reviewedAt: null })
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

  /**
   * Outside facts (GitHub) for the gates of a run still waiting for verdicts, fetched before
   * any lock: the run's pull request once for every gate that judges it, then each gate's own.
   */
  static async #gatherFacts(runId: number): Promise<Map<string, GateFacts>> {
    const facts = new Map<string, GateFacts>()
    const run = await Run.find(runId)
    if (!run || (run.gateStatus !== 'pending' && !isRejudgingAfterAcceptance(run))) return facts
    const project = await Project.findOrFail(run.projectId)
    const policies = await Policy.forProject(project.id)
    const applicable = acceptGates.filter((gate) => gate.appliesTo(project, policies))
    const pullNumber = pullNumberOf(run)
    if (pullNumber !== null && applicable.some((gate) => gate.usesPullRequest)) {
      facts.set(
        PULL_REQUEST_FACTS,
        await fetched(runId, PULL_REQUEST_FACTS, async () =>
          fetchPullRequestFacts(await GitHubClient.forProject(project), pullNumber)
        )
      )
    }
    for (const gate of applicable) {
      if (!gate.gatherFacts) continue
      facts.set(gate.name, await fetched(runId, gate.name, () => gate.gatherFacts!(run, project)))
    }
    return facts
  }

  /** The periodic sweep: every run still waiting for verdicts, in case a fact or a job was missed. */
  static async recheckPending(): Promise<{ runId: number; status: GateStatus | null }[]> {
    const rows = await db
      .from('runs')
      .join('work_items', 'work_items.id', 'runs.work_item_id')
      .where((query) =>
        query
          .where((pending) =>
            pending.where('runs.gate_status', 'pending').where('work_items.status', 'verifying')
          )
          .orWhere((changed) =>
            changed.where('runs.gate_status', 'passed').whereNotNull('runs.pr_changed_at')
          )
      )
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

/** Facts fetched, or why not: GitHub's own answers become the reason, anything else is logged. */
async function fetched(
  runId: number,
  name: string,
  fetch: () => Promise<unknown>
): Promise<GateFacts> {
  try {
    return { ok: true, value: await fetch() }
  } catch (error) {
    // A reason reaches audit details and the issue comment: only GitHub's own answers go there.
    if (!(error instanceof GitHubFailure))
      logger.error({ err: error, runId }, `gathering ${name} facts failed`)
    return error instanceof GitHubFailure
      ? { ok: false, reason: error.message, notFound: error.kind === 'not_found' }
      : { ok: false, reason: 'GitHub could not be read (see the server logs)' }
  }
}

function pullRequestFactsIn(facts?: Map<string, GateFacts>): PullRequestFacts | null {
  const found = facts?.get(PULL_REQUEST_FACTS)
  return found?.ok ? (found.value as PullRequestFacts) : null
}

/** An accepted run whose pull request moved afterwards: judged again, its item left completed. */
function isRejudgingAfterAcceptance(run: Run) {
  return run.prChangedAt !== null && run.gateStatus === 'passed' && run.status === 'succeeded'
}

/** What the issue comment shows of verdicts (not when they were reached, nor the facts). */
function shown(verdicts: GateVerdict[]) {
  return JSON.stringify(
    verdicts.map((verdict) => [verdict.gate, verdict.verdict, verdict.code, verdict.reason])
  )
}

/** Verdicts for audit details: the fetched facts stay on the run. */
function withoutFacts(verdicts: GateVerdict[]) {
  return verdicts.map(({ facts: _facts, ...verdict }) => verdict)
}

/** Pending until every gate has a verdict; any failure decides at once. No gates: passed. */
function overallStatus(verdicts: GateVerdict[]): GateStatus {
  if (verdicts.some((verdict) => verdict.verdict === 'failed')) return 'failed'
  if (verdicts.every((verdict) => verdict.verdict === 'passed')) return 'passed'
  return 'pending'
}
