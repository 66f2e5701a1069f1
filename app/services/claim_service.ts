import db from '@adonisjs/lucid/services/db'
import logger from '@adonisjs/core/services/logger'
import type { TransactionClientContract } from '@adonisjs/lucid/types/database'
import type Agent from '#models/agent'
import type { AgentCapabilities } from '#models/agent'
import AuditEvent from '#models/audit_event'
import GitHubReport from '#services/github/github_report'
import Policy from '#models/policy'
import Project from '#models/project'
import Run from '#models/run'
import Setting from '#models/setting'
import WorkItem from '#models/work_item'
import claimNotifier from '#services/claim_notifier'
import ClaimGates, { FIX_CI_WORK_TYPE, type ProjectAdmission } from '#services/claim_gates'

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
 * it enforces. Bindings: open project ids, approval-only project ids, fix-ci-only project ids
 * (+ the work type), whether any work type goes, the accepted work types, agent id.
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
   and not exists (                                                 -- §3.3 every depends_on item is completed
         select 1 from work_item_dependencies d
           join work_items dep on dep.id = d.depends_on_id
          where d.work_item_id = wi.id and dep.status <> 'completed')
 order by wi.priority desc, wi.run_after, wi.id                     -- §3 claim order, same as the index: no sort
 limit 1
   for update of wi skip locked                                     -- §3 concurrent claimers take different items, never wait
`

/**
 * Claiming (spec §3): one short transaction that checks the limits, picks the eligible item
 * and turns it into a running Run.
 *
 * Limits are exact across processes because each bound is counted only while holding the row
 * lock that every claim bounded by it must also take, in a fixed order (settings, agent,
 * project): the count then sees every earlier claim, committed before the lock was granted.
 * Counts are separate statements after the lock, because a statement's snapshot predates
 * the lock wait (READ COMMITTED). Run completions only lower counts, so they take no lock.
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
      const settings = await Setting.current(trx)
      if (!settings.agents_enabled) return { outcome: 'agents_disabled' }

      if (settings.max_parallel_runs !== null) {
        // §3.1 global cap: serialises claims system-wide, only while a cap is set.
        await trx.rawQuery(`select 1 from settings where key = 'max_parallel_runs' for no key update`)
        const running = await countRunning(trx)
        if (running >= settings.max_parallel_runs) {
          return { outcome: 'system_at_limit', running, maxParallelRuns: settings.max_parallel_runs }
        }
      }

      // §3.2 the agent's own limit: its claims are serialised by its row.
      const locked = await trx.rawQuery(
        `select enabled, max_concurrency, capabilities from agents where id = ? for no key update`,
        [agent.id]
      )
      const current = locked.rows[0] as
        | { enabled: boolean; max_concurrency: number; capabilities: AgentCapabilities }
        | undefined
      if (!current || !current.enabled) return { outcome: 'agent_disabled' }
      const running = await countRunning(trx, agent.id)
      if (running >= current.max_concurrency) {
        return { outcome: 'agent_at_limit', running, maxConcurrency: current.max_concurrency }
      }

      const workTypes = acceptedWorkTypes(current.capabilities, request.workTypes)
      if (workTypes !== null && workTypes.length === 0) return { outcome: 'none' }

      const admissions = await ClaimGates.forProjects(
        { slug: request.projectSlug, onlyActive: true },
        trx
      )
      const candidate = await this.#lockNextItem(trx, agent.id, admissions, workTypes)
      if (!candidate) return { outcome: 'none' }

      return this.#start(trx, agent, candidate.itemId, candidate.projectId)
    })
  }

  /**
   * The next eligible item, locked. When its project has a WIP limit, the limit is re-counted
   * under the project's row lock; a project found full is dropped and the search goes on.
   * The savepoint lets go of that project's lock, so two claimers never hold one project's
   * lock while waiting for another's.
   */
  static async #lockNextItem(
    trx: TransactionClientContract,
    agentId: number,
    admissions: ProjectAdmission[],
    workTypes: string[] | null
  ): Promise<{ itemId: number; projectId: number } | null> {
    const open = new Map(admissions.filter((a) => a.open).map((a) => [a.projectId, a]))
    while (open.size > 0) {
      const projects = [...open.values()]
      const result = await trx.rawQuery(NEXT_ELIGIBLE_ITEM, [
        projects.map((a) => a.projectId),
        projects.filter((a) => a.approvedOnly).map((a) => a.projectId),
        FIX_CI_WORK_TYPE,
        projects.filter((a) => a.onlyWorkTypes !== null).map((a) => a.projectId),
        workTypes === null,
        workTypes ?? [],
        agentId,
      ])
      const row = result.rows[0] as { id: number; project_id: number } | undefined
      if (!row) return null

      const admission = open.get(row.project_id)!
      if (admission.wipLimit === null) return { itemId: row.id, projectId: row.project_id }

      await trx.rawQuery('savepoint wip_check')
      await trx.rawQuery('select 1 from projects where id = ? for no key update', [row.project_id])
      const wip = await ClaimGates.wipCount(trx, row.project_id)
      if (wip < admission.wipLimit) {
        await trx.rawQuery('release savepoint wip_check')
        return { itemId: row.id, projectId: row.project_id }
      }
      await trx.rawQuery('rollback to savepoint wip_check')
      open.delete(row.project_id)
    }
    return null
  }

  /** Creates the running Run and marks the item claimed, with its audit event. */
  static async #start(
    trx: TransactionClientContract,
    agent: Agent,
    itemId: number,
    projectId: number
  ): Promise<ClaimResult> {
    const policies = await Policy.forProject(projectId, trx)
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
    const project = await Project.findOrFail(projectId, { client: trx })
    await AuditEvent.record(trx, {
      actor: agent,
      action: 'work_item.claimed',
      subject: workItem,
      details: { run_id: run.id, attempt: run.attempt },
    })
    await GitHubReport.runStarted(trx, run, workItem, policies)
    return { outcome: 'claimed', run, workItem, project, leaseSeconds }
  }
}

async function countRunning(trx: TransactionClientContract, agentId?: number): Promise<number> {
  const result = agentId
    ? await trx.rawQuery(`select count(*)::int as n from runs where status = 'running' and agent_id = ?`, [agentId])
    : await trx.rawQuery(`select count(*)::int as n from runs where status = 'running'`)
  return result.rows[0].n
}

/** The work types this claim may take: null means any. */
function acceptedWorkTypes(capabilities: AgentCapabilities | null, requested?: string[]): string[] | null {
  const accepted = capabilities?.work_types ?? []
  const acceptsAll = accepted.includes('*')
  if (!requested) return acceptsAll ? null : accepted
  return acceptsAll ? requested : requested.filter((type) => accepted.includes(type))
}
