import { DateTime } from 'luxon'
import logger from '@adonisjs/core/services/logger'
import type { TransactionClientContract } from '@adonisjs/lucid/types/database'
import Run, { type GateStatus, type GateVerdict } from '#models/run'
import WorkItem from '#models/work_item'
import Project from '#models/project'
import Policy from '#models/policy'
import Agent from '#models/agent'
import AuditEvent from '#models/audit_event'
import JobQueue from '#infrastructure/job_queue'
import { acceptGates } from '#services/runs/gates/accept_gates'
import { PULL_REQUEST_FACTS, type GateFacts } from '#services/runs/gates/accept_gate'
import { pullNumberOf, pullRequestGate } from '#services/runs/gates/pull_request_gate'
import GitHubClient, { GitHubFailure } from '#services/github/github_client'
import GatehouseStatus from '#services/github/gatehouse_status'
import GitHubReport from '#services/github/github_report'
import { fetchPullRequestFacts, type PullRequestFacts } from '#services/github/pull_request_facts'

export const EVALUATE_GATES_TASK = 'evaluate_gates'

/**
 * What the gates said of a run: the overall status and each gate's verdict (without the
 * fetched facts, which stay on the run). `afterAcceptance`: an accepted run judged again
 * because its pull request moved; its item is not to be touched.
 */
export type GateJudgement = {
  status: GateStatus
  verdicts: GateVerdict[]
  afterAcceptance?: boolean
}

/**
 * Judges a succeeded run by its project's accept gates (spec §4, issue 11): records each
 * gate's verdict on the run and, while any is pending, schedules a re-evaluation for when
 * `ci_timeout_minutes` ends. GitHub gates judge the pull request Gatehouse read itself
 * (`PullRequestFacts`), never the agent's report. What a verdict does to the run's item is
 * RunLifecycle's (the one place a run ends).
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
    const afterAcceptance = isRejudgingAfterAcceptance(run)
    if (!afterAcceptance && (run.gateStatus !== 'pending' || item.status !== 'verifying'))
      return null

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
      if (verdict.verdict === 'pending' && now >= deadline && !afterAcceptance) {
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
    if (afterAcceptance) {
      if (status === 'passed') {
        run.prChangedAt = null
        await AuditEvent.record(trx, {
          actor: 'system',
          action: 'run.pr_accepted_again',
          subject: run,
          details: { head_sha: run.judgedHeadSha, verdicts: withoutFacts(verdicts) },
        })
      }
    } else {
      run.gateStatus = status
    }
    await run.save()

    // Posted when it changes: GitHub keeps at most 1,000 statuses per commit and context.
    if (JSON.stringify(GatehouseStatus.statusOf(run)) !== statusBefore)
      await GatehouseStatus.schedule(trx, run)
    // The comment shows the verdicts: edited when they changed, not on every look at GitHub.
    const settles = !afterAcceptance && status !== 'pending'
    if (!settles && (shown(verdicts) !== shownBefore || (afterAcceptance && status === 'passed')))
      await GitHubReport.itemChanged(trx, item, policies)
    if (status === 'pending' && !afterAcceptance) {
      await this.scheduleReevaluation(trx, run.id, factsWanted ? undefined : deadline)
    } else if (status === 'pending' && factsWanted) {
      // Judged again after acceptance: webhooks and the recheck sweep look again later.
      await this.scheduleReevaluation(trx, run.id)
    }
    return { status, verdicts: withoutFacts(verdicts), afterAcceptance }
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
   * Outside facts (GitHub) for the gates of a run still waiting for verdicts, fetched before
   * any lock: the run's pull request once for every gate that judges it, then each gate's own.
   */
  static async gatherFacts(runId: number): Promise<Map<string, GateFacts>> {
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
export function isRejudgingAfterAcceptance(run: Run) {
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
