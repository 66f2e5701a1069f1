import db from '@adonisjs/lucid/services/db'
import logger from '@adonisjs/core/services/logger'
import type { TransactionClientContract } from '@adonisjs/lucid/types/database'
import type Agent from '#models/agent'
import type { AgentCapabilities } from '#models/agent'
import AuditEvent from '#models/audit_event'
import GitHubReport from '#services/github/github_report'
import Policy, { type ProjectPolicies } from '#models/policy'
import Project from '#models/project'
import Run from '#models/run'
import Setting from '#models/setting'
import WorkItem from '#models/work_item'
import claimNotifier from '#infrastructure/claim_notifier'
import ClaimGates, { FIX_CI_WORK_TYPE, type ProjectAdmission } from '#services/claims/claim_gates'

export type ClaimRequest = { workTypes?: string[]; projectSlug?: string }

export type ClaimResult =
  | { outcome: 'claimed'; run: Run; workItem: WorkItem; project: Project; leaseSeconds: number }
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
 * The eligible item for an agent (spec §3), locked, in claim order. Each clause names the rule
 * it enforces. Bindings: open project ids (already narrowed to the agent's projects), approval-only
 * project ids, fix-ci-only project ids (+ the work type), whether any work type goes, the accepted
 * work types, agent id (pins), agent id (affinity).
 */
export const NEXT_ELIGIBLE_ITEM = `
select wi.id, wi.project_id
  from work_items wi
 where wi.status = 'pending'                                        -- §3.3 pending (the partial index work_items_claim_order)
   and wi.run_after <= now()                                        -- §3.3 not before run_after (retry backoff)
   and wi.project_id = any(?::int[])                                -- §3.5 project active with its claim gates open; §3.4 project narrowing
   and (wi.approved_at is not null or wi.project_id <> all(?::int[]))  -- §4 require_approval: only approved items
   and (wi.work_type = ? or wi.project_id <> all(?::int[]))         -- §4 default_branch_green: only fix_ci while failing
   and (?::boolean or wi.work_type = any(?::text[]))                -- §3.4 agent capabilities ∩ requested work types
   and (wi.assigned_agent_id is null or wi.assigned_agent_id = ?)   -- §3.4 a pinned item only to its agent
   and (wi.affinity_agent_id is null or wi.affinity_agent_id = ?    -- retry affinity: the rejected agent first,
        or wi.affinity_until <= now())                              --   any agent once the window has passed
   and not exists (                                                 -- §3.3 every depends_on item is completed
         select 1 from work_item_dependencies d
           join work_items dep on dep.id = d.depends_on_id
          where d.work_item_id = wi.id and dep.status <> 'completed')
 order by wi.priority desc, wi.run_after, wi.id                     -- §3 claim order, same as the index: no sort
 limit 1
   for update of wi skip locked                                     -- §3 concurrent claimers take different items, never wait
`

/**
 * The claiming agent's row, locked, with the global settings read in the same round trip
 * (reading them needs no lock; a cap found set is locked next).
 */
const LOCK_AGENT = `
select a.enabled, a.max_concurrency, a.capabilities, a.project_ids,
       (select value from settings where key = 'agents_enabled') as agents_enabled,       -- §3.1 kill switch
       (select value from settings where key = 'max_parallel_runs') as max_parallel_runs  -- §3.1 global cap, null when none
  from agents a
 where a.id = ?
   for no key update of a                                  -- §3.2 serialises this agent's claims
`

/** Running runs against the limits, counted once their locks are held. Bindings: agent id, whether a cap is set. */
const COUNT_RUNNING = `
select (select count(*)::int from runs
         where status = 'running' and agent_id = ?) as agent_running,       -- §3.2 the agent's max_concurrency
       case when ?::boolean then                                            -- §3.1 max_parallel_runs, only while set
         (select count(*)::int from runs where status = 'running')
       end as running
`

/**
 * NEXT_ELIGIBLE_ITEM (same bindings) with what starting it needs in the same round trip: its
 * project, and the project's own policy values (key → value) for the lease and the answer.
 */
const NEXT_ELIGIBLE_ITEM_WITH_PROJECT = `
select item.id as work_item_id, p.*,
       (select coalesce(jsonb_object_agg(pol.key, pol.value), '{}') from policies pol
         where pol.project_id = p.id) as own_policies              -- §4 policies over their defaults
  from (${NEXT_ELIGIBLE_ITEM}) item                                 -- locks only the item
  join projects p on p.id = item.project_id
`

type LockedAgent = {
  enabled: boolean
  max_concurrency: number
  capabilities: AgentCapabilities | null
  /** The projects this agent may claim from; empty means every project. */
  project_ids: number[]
  agents_enabled: unknown
  max_parallel_runs: unknown
}

type Candidate = { itemId: number; project: Project; policies: ProjectPolicies }

type Claimed = Extract<ClaimResult, { outcome: 'claimed' }>

/**
 * Claiming (spec §3): one short transaction that checks the limits, picks the eligible item
 * and turns it into a running Run.
 *
 * Limits are exact across processes because each bound is counted only while holding the row
 * lock that every claim bounded by it must also take, in a fixed order (agent, settings,
 * project): the count then sees every earlier claim, committed before the lock was granted.
 * Counts are separate statements after the lock, because a statement's snapshot predates
 * the lock wait (READ COMMITTED). Run completions only lower counts, so they take no lock.
 * Round trips are what a claim costs (see docs/claiming.md), so statements are combined
 * wherever that ordering allows.
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
    while (true) {
      const generation = claimNotifier.generation
      const result = await this.claim(agent, request)
      if (result.outcome !== 'none') return result
      const woken = await claimNotifier.waitAfter(generation, deadline - Date.now(), signal)
      if (!woken) return result
    }
  }

  static async claim(agent: Agent, request: ClaimRequest = {}): Promise<ClaimResult> {
    return db.transaction(async (trx) => {
      const locked = await trx.rawQuery(LOCK_AGENT, [agent.id])
      const current = locked.rows[0] as LockedAgent | undefined
      if (!current) return { outcome: 'agent_disabled' }
      const settings = Setting.fromValues(current)
      if (!settings.agents_enabled) return { outcome: 'agents_disabled' }
      if (!current.enabled) return { outcome: 'agent_disabled' }

      const cap = settings.max_parallel_runs
      if (cap !== null) {
        // §3.1 global cap: serialises claims system-wide, only while a cap is set.
        await trx.rawQuery(
          `select 1 from settings where key = 'max_parallel_runs' for no key update`
        )
      }
      const counts = await trx.rawQuery(COUNT_RUNNING, [agent.id, cap !== null])
      const { agent_running: agentRunning, running } = counts.rows[0] as {
        agent_running: number
        running: number | null
      }
      if (cap !== null && running! >= cap) {
        return { outcome: 'system_at_limit', running: running!, maxParallelRuns: cap }
      }
      if (agentRunning >= current.max_concurrency) {
        return {
          outcome: 'agent_at_limit',
          running: agentRunning,
          maxConcurrency: current.max_concurrency,
        }
      }

      const workTypes = acceptedWorkTypes(current.capabilities, request.workTypes)
      if (workTypes !== null && workTypes.length === 0) return { outcome: 'none' }

      const admissions = await ClaimGates.forProjects(
        { slug: request.projectSlug, onlyActive: true },
        trx
      )
      const inScope =
        current.project_ids.length === 0
          ? admissions
          : admissions.filter((a) => current.project_ids.includes(a.projectId))
      return this.#claimNext(trx, agent, inScope, workTypes)
    })
  }

  /**
   * Picks the next eligible item and starts it. When its project has a WIP limit, the limit is
   * re-counted under the project's row lock; a project found full is rolled back to the
   * savepoint, which lets go of its lock (two claimers never hold one project's lock while
   * waiting for another's), and the search goes on without it.
   */
  static async #claimNext(
    trx: TransactionClientContract,
    agent: Agent,
    admissions: ProjectAdmission[],
    workTypes: string[] | null
  ): Promise<ClaimResult> {
    const open = new Map(admissions.filter((a) => a.open).map((a) => [a.projectId, a]))
    while (open.size > 0) {
      const candidate = await this.#lockNextItem(trx, agent.id, [...open.values()], workTypes)
      if (!candidate) return { outcome: 'none' }
      const { wipLimit } = open.get(candidate.project.id)!
      if (wipLimit === null) return this.#start(trx, agent, candidate)

      await trx.rawQuery('savepoint wip_check')
      await trx.rawQuery('select 1 from projects where id = ? for no key update', [
        candidate.project.id,
      ])
      // The savepoint stays: COMMIT releases it, and releasing it would cost a round trip.
      if ((await ClaimGates.wipCount(trx, candidate.project.id)) < wipLimit)
        return this.#start(trx, agent, candidate)
      await trx.rawQuery('rollback to savepoint wip_check')
      open.delete(candidate.project.id)
    }
    return { outcome: 'none' }
  }

  /** The next eligible item among the given projects, locked, with its project and policies. */
  static async #lockNextItem(
    trx: TransactionClientContract,
    agentId: number,
    projects: ProjectAdmission[],
    workTypes: string[] | null
  ): Promise<Candidate | null> {
    const result = await trx.rawQuery(NEXT_ELIGIBLE_ITEM_WITH_PROJECT, [
      projects.map((a) => a.projectId),
      projects.filter((a) => a.approvedOnly).map((a) => a.projectId),
      FIX_CI_WORK_TYPE,
      projects.filter((a) => a.onlyWorkTypes !== null).map((a) => a.projectId),
      workTypes === null,
      workTypes ?? [],
      agentId,
      agentId,
    ])
    if (!result.rows[0]) return null
    const { work_item_id: itemId, own_policies: ownPolicies, ...projectRow } = result.rows[0]
    return {
      itemId,
      project: Project.$createFromAdapterResult(projectRow)!,
      policies: Policy.withDefaults(ownPolicies),
    }
  }

  /** Creates the running Run and marks the item claimed, with its audit event. */
  static async #start(
    trx: TransactionClientContract,
    agent: Agent,
    { itemId, project, policies }: Candidate
  ): Promise<Claimed> {
    const projectId = project.id
    const leaseSeconds = policies.lease_seconds
    const itemRows = await trx.rawQuery(
      `update work_items
          set status = 'in_progress', locked_by_agent_id = ?, locked_at = now(),
              attempts = attempts + 1, updated_at = now()
        where id = ?
        returning *`,
      [agent.id, itemId]
    )
    const workItem = WorkItem.$createFromAdapterResult(itemRows.rows[0])!
    const runRows = await trx.rawQuery(
      `insert into runs (work_item_id, project_id, agent_id, attempt, status, started_at, lease_expires_at)
       values (?, ?, ?, ?, 'running', now(), now() + make_interval(secs => ?))
       returning *`,
      [itemId, projectId, agent.id, workItem.attempts, leaseSeconds]
    )
    const run = Run.$createFromAdapterResult(runRows.rows[0])!
    await AuditEvent.record(trx, {
      actor: agent,
      action: 'work_item.claimed',
      subject: workItem,
      details: { run_id: run.id, attempt: run.attempt },
    })
    // Enqueues nothing (and costs no round trip) unless the item came from a GitHub issue and the project reports.
    await GitHubReport.runStarted(trx, run, workItem, policies)
    return { outcome: 'claimed', run, workItem, project, leaseSeconds }
  }
}

/** The work types this claim may take: null means any. */
function acceptedWorkTypes(
  capabilities: AgentCapabilities | null,
  requested?: string[]
): string[] | null {
  const accepted = capabilities?.work_types ?? []
  const acceptsAll = accepted.includes('*')
  if (!requested) return acceptsAll ? null : accepted
  return acceptsAll ? requested : requested.filter((type) => accepted.includes(type))
}
