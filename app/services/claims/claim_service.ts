import db from '@adonisjs/lucid/services/db'
import logger from '@adonisjs/core/services/logger'
import type Agent from '#models/agent'
import { REPORT_ITEM_TASK, REPORT_MAX_ATTEMPTS } from '#services/github/github_report'
import Policy, { POLICY_DEFAULTS } from '#models/policy'
import Project from '#models/project'
import Run from '#models/run'
import WorkItem from '#models/work_item'
import { claimDuration, claimsTotal, secondsSince } from '#infrastructure/metrics'
import claimNotifier, { type Announcement, type WaiterScope } from '#infrastructure/claim_notifier'

export type ClaimRequest = { workTypes?: string[]; projectSlug?: string }

export type ClaimResult =
  | {
      outcome: 'claimed'
      run: Run
      workItem: WorkItem
      project: Project
      leaseSeconds: number
      /** The item has earlier runs, notes or questions: the claim answer has them to read. */
      earlier: boolean
    }
  /** Nothing eligible for this agent right now. */
  | { outcome: 'none' }
  /** The agent already runs `max_concurrency` runs. */
  | { outcome: 'agent_at_limit'; running: number; maxConcurrency: number }
  /** The system already runs `max_parallel_runs` runs. */
  | { outcome: 'system_at_limit'; running: number; maxParallelRuns: number }
  /** The kill switch is on. */
  | { outcome: 'agents_disabled' }
  | { outcome: 'agent_disabled' }

/**
 * The claim in one statement, committed on its own: `claim_item`
 * (database/migrations/0550_claim_item_per_project_pick.ts) locks the agent (and the global
 * cap while set), counts, walks the claim-order index judging each candidate's project gates
 * on its maintained usage rows, locks the item, re-checks a WIP limit under the project's WIP
 * row lock, and starts the run. Its outcome names what stopped it. `claim_and_report` (0560)
 * adds the GitHub comment job for an issue's item in a reporting project, in the same
 * transaction, as GitHubReport.itemChanged would.
 */
const CLAIM_ITEM = `
select * from claim_and_report(?,
                               case when ?::boolean then ?::text[] end,  -- requested work types, if any
                               nullif(?, ''),                             -- project slug, if any
                               ?::jsonb, ?, ?)`

type ClaimRow = {
  outcome: ClaimResult['outcome']
  running: number | null
  at_most: number | null
  item: Record<string, unknown> | null
  run: Record<string, unknown> | null
  project: Record<string, unknown> | null
  own_policies: Record<string, unknown> | null
  earlier: boolean | null
}

type Claimed = Extract<ClaimResult, { outcome: 'claimed' }>

/** jsonb renders timestamps as ISO strings; the models' DateTime columns take Dates. */
const ISO_TIMESTAMP = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?[+-]\d\d:\d\d$/
function adapterRow(json: Record<string, unknown>) {
  return Object.fromEntries(
    Object.entries(json).map(([key, value]) => [
      key,
      typeof value === 'string' && ISO_TIMESTAMP.test(value) ? new Date(value) : value,
    ])
  )
}

/**
 * Claiming (spec §3): one short transaction, a single statement, that checks the limits,
 * picks the eligible item and turns it into a running Run, with the claim's audit event and
 * report job (`claim_and_report`).
 *
 * Limits are exact across processes because each bound is counted only while holding the row
 * lock that every claim bounded by it must also take, in a fixed order (agent, settings,
 * project WIP row): the count then sees every earlier claim, committed before the lock was
 * granted. See docs/claiming.md.
 */
export default class ClaimService {
  /**
   * Claims, or waits up to `waitSeconds` for an announcement that something may have become
   * claimable (spec §5 long-poll) and tries again. Only 'none' waits; every other outcome
   * answers at once. No database connection is held while waiting.
   */
  static async claimWaiting(
    agent: Agent,
    request: ClaimRequest,
    waitSeconds: number,
    signal?: AbortSignal
  ): Promise<ClaimResult> {
    const deadline = Date.now() + waitSeconds * 1000
    if (waitSeconds > 0) {
      // Without the listener the wait degrades to a plain timeout: still correct, just slower.
      await claimNotifier
        .listen()
        .catch((error) => logger.warn({ err: error }, 'cannot listen for claimable items'))
    }
    const scope = waiterScope(agent, request)
    let wokenBy: Announcement | null = null
    while (true) {
      const generation = claimNotifier.generation
      const result = await this.claim(agent, request)
      // More may have come with what woke us: let the next waiters look too.
      if (result.outcome === 'claimed' && wokenBy) claimNotifier.served(wokenBy)
      if (result.outcome !== 'none') return result
      wokenBy = await claimNotifier.waitAfter(generation, deadline - Date.now(), scope, signal)
      if (!wokenBy) return result
    }
  }

  static async claim(agent: Agent, request: ClaimRequest = {}): Promise<ClaimResult> {
    const start = process.hrtime.bigint()
    const result = await this.#claimOnce(agent, request)
    claimsTotal.inc({ outcome: result.outcome })
    claimDuration.observe({ outcome: result.outcome }, secondsSince(start))
    return result
  }

  static async #claimOnce(agent: Agent, request: ClaimRequest): Promise<ClaimResult> {
    // No BEGIN and COMMIT around it: the statement is its transaction.
    const { rows } = await db.rawQuery(CLAIM_ITEM, [
      agent.id,
      request.workTypes !== undefined,
      request.workTypes ?? [],
      request.projectSlug ?? '',
      JSON.stringify(POLICY_DEFAULTS),
      REPORT_ITEM_TASK,
      REPORT_MAX_ATTEMPTS,
    ])
    const row = rows[0] as ClaimRow
    switch (row.outcome) {
      case 'claimed':
        return this.#started(row)
      case 'agent_at_limit':
        return { outcome: row.outcome, running: row.running!, maxConcurrency: row.at_most! }
      case 'system_at_limit':
        return { outcome: row.outcome, running: row.running!, maxParallelRuns: row.at_most! }
      default:
        return { outcome: row.outcome }
    }
  }

  /** The claimed item, its running run and project as models. */
  static #started(row: ClaimRow): Claimed {
    const workItem = WorkItem.$createFromAdapterResult(adapterRow(row.item!))!
    const run = Run.$createFromAdapterResult(adapterRow(row.run!))!
    const project = Project.$createFromAdapterResult(adapterRow(row.project!))!
    const policies = Policy.withDefaults(row.own_policies ?? {})
    return {
      outcome: 'claimed',
      run,
      workItem,
      project,
      leaseSeconds: policies.lease_seconds,
      earlier: row.earlier ?? true,
    }
  }
}

/** Whom an announcement concerns for this claimer: its agent, projects and work types. */
function waiterScope(agent: Agent, request: ClaimRequest): WaiterScope {
  const accepted = agent.capabilities?.work_types ?? []
  const acceptsAll = accepted.includes('*')
  const requested = request.workTypes
  let workTypes: string[] | null
  if (!requested) workTypes = acceptsAll ? null : accepted
  else workTypes = acceptsAll ? requested : requested.filter((type) => accepted.includes(type))
  return { agentId: agent.id, projectIds: agent.projectIds ?? [], workTypes }
}
