import db from '@adonisjs/lucid/services/db'
import Setting, { type Settings } from '#models/setting'
import ClaimGates, { FIX_CI_WORK_TYPE, type ProjectAdmission } from '#services/claims/claim_gates'

/** A gate as people read it: open, narrowing what can be claimed, or closed. */
export type GateView = { gate: string; state: 'open' | 'restricted' | 'closed'; reason: string }

export type QueueDepth = {
  pending: number
  in_progress: number
  verifying: number
  blocked: number
}

export type ProjectOutlook = {
  projectId: number
  slug: string
  name: string
  state: string
  queue: QueueDepth
  gates: GateView[]
  /** The gates that are not plainly open, for "why is nothing being claimed?". */
  blockers: GateView[]
}

export type GlobalOutlook = {
  settings: Settings
  runningRuns: number
  enabledAgents: number
  agentSlots: number
  busyAgentSlots: number
  gates: GateView[]
  blockers: GateView[]
}

type ProjectRow = {
  id: number
  name: string
  slug: string
  state: string
  pending: number
  in_progress: number
  verifying: number
  blocked: number
  pending_unapproved: number
}

/**
 * Answers "why is nothing being claimed?" for the admin pages: the global switches and agents
 * (spec §3.1–2) and each project's claim gates (ClaimGates, §4) with their reasons, plus the
 * queue behind them. Read-only; every count is index-backed.
 */
export default class ClaimOutlook {
  static async global(): Promise<GlobalOutlook> {
    const settings = await Setting.current()
    const { rows } = await db.rawQuery(
      `select (select count(*)::int from runs where status = 'running') as running_runs,
              count(*)::int as enabled_agents,
              coalesce(sum(a.max_concurrency), 0)::int as agent_slots,
              coalesce(sum(least(a.max_concurrency, busy.running)), 0)::int as busy_agent_slots
         from agents a
         cross join lateral (select count(*)::int as running from runs r
                              where r.agent_id = a.id and r.status = 'running') busy
        where a.enabled`
    )
    const facts = rows[0]
    const gates: GateView[] = [
      settings.agents_enabled
        ? { gate: 'kill_switch', state: 'open', reason: 'Agents may claim work.' }
        : {
            gate: 'kill_switch',
            state: 'closed',
            reason: 'Agents are disabled by the kill switch (Settings).',
          },
    ]
    if (settings.max_parallel_runs !== null) {
      const full = facts.running_runs >= settings.max_parallel_runs
      gates.push({
        gate: 'global_cap',
        state: full ? 'closed' : 'open',
        reason: `${full ? 'Global cap reached: ' : ''}${facts.running_runs} of ${settings.max_parallel_runs} runs running.`,
      })
    }
    if (facts.enabled_agents === 0) {
      gates.push({ gate: 'agents', state: 'closed', reason: 'No agent is enabled.' })
    } else {
      const full = facts.busy_agent_slots >= facts.agent_slots
      gates.push({
        gate: 'agents',
        state: full ? 'closed' : 'open',
        reason: full
          ? `Every enabled agent is at its concurrency limit (${facts.busy_agent_slots} of ${facts.agent_slots} slots busy).`
          : `${facts.busy_agent_slots} of ${facts.agent_slots} agent slots busy across ${facts.enabled_agents} enabled agents.`,
      })
    }
    return {
      settings,
      runningRuns: facts.running_runs,
      enabledAgents: facts.enabled_agents,
      agentSlots: facts.agent_slots,
      busyAgentSlots: facts.busy_agent_slots,
      gates,
      blockers: gates.filter((gate) => gate.state !== 'open'),
    }
  }

  /** Projects that are not archived (or the given ones), by name. */
  static async forProjects(
    options: { projectIds?: number[]; limit?: number } = {}
  ): Promise<ProjectOutlook[]> {
    const { rows } = await db.rawQuery<{ rows: ProjectRow[] }>(
      `select p.id, p.name, p.slug, p.state, q.*
         from projects p
         cross join lateral (
           select count(*) filter (where w.status = 'pending')::int as pending,
                  count(*) filter (where w.status = 'in_progress')::int as in_progress,
                  count(*) filter (where w.status = 'verifying')::int as verifying,
                  count(*) filter (where w.status = 'blocked')::int as blocked,
                  count(*) filter (where w.status = 'pending' and w.approved_at is null)::int as pending_unapproved
             from work_items w
            where w.project_id = p.id and w.status in ('pending', 'in_progress', 'verifying', 'blocked')
         ) q
        where ${options.projectIds ? 'p.id = any(?::int[])' : `p.state <> 'archived'`}
        order by p.name, p.id
        limit ?`,
      [...(options.projectIds ? [options.projectIds] : []), options.limit ?? 100]
    )
    if (rows.length === 0) return []
    const admissions = await ClaimGates.forProjects({ projectIds: rows.map((row) => row.id) })
    const byId = new Map(admissions.map((admission) => [admission.projectId, admission]))
    return rows.map((row) => {
      const gates = gateViews(byId.get(row.id)!, row)
      return {
        projectId: row.id,
        slug: row.slug,
        name: row.name,
        state: row.state,
        queue: {
          pending: row.pending,
          in_progress: row.in_progress,
          verifying: row.verifying,
          blocked: row.blocked,
        },
        gates,
        blockers: gates.filter((gate) => gate.state !== 'open'),
      }
    })
  }

  static async forProject(projectId: number): Promise<ProjectOutlook | null> {
    const [outlook] = await this.forProjects({ projectIds: [projectId] })
    return outlook ?? null
  }
}

/** ClaimGates' verdicts, with the narrowing gates (approval, failing branch) told apart from open ones. */
function gateViews(admission: ProjectAdmission, row: ProjectRow): GateView[] {
  return admission.gates.map((gate) => {
    if (!gate.open) return { gate: gate.gate, state: 'closed', reason: gate.reason }
    if (gate.gate === 'require_approval' && row.pending_unapproved > 0) {
      const none = row.pending_unapproved === row.pending
      return {
        gate: gate.gate,
        state: none ? 'closed' : 'restricted',
        reason: none
          ? `${row.pending === 1 ? 'The only pending item is' : `All ${row.pending} pending items are`} awaiting approval.`
          : `${row.pending_unapproved} of ${row.pending} pending items are awaiting approval.`,
      }
    }
    if (
      gate.gate === 'default_branch_green' &&
      admission.onlyWorkTypes?.includes(FIX_CI_WORK_TYPE)
    ) {
      return { gate: gate.gate, state: 'restricted', reason: gate.reason }
    }
    return { gate: gate.gate, state: 'open', reason: gate.reason }
  })
}
