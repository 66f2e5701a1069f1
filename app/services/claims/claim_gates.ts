import db from '@adonisjs/lucid/services/db'
import type { QueryClientContract } from '@adonisjs/lucid/types/database'
import type { GatesConfig } from '#models/project'

/** The claim gates of spec §4, plus the project state that precedes them. */
export type ClaimGateName =
  | 'project_active'
  | 'wip_limit'
  | 'require_approval'
  | 'monthly_budget_usd'
  | 'default_branch_green'

/** One gate of one project: open or closed, and why, in words an admin can act on. */
export type ClaimGateState = { gate: ClaimGateName; open: boolean; reason: string }

/**
 * Which items of a project a claim may take right now. `open` false hides the whole project;
 * `approvedOnly` and `onlyWorkTypes` narrow it to some of its items.
 */
export type ProjectAdmission = {
  projectId: number
  slug: string
  open: boolean
  gates: ClaimGateState[]
  approvedOnly: boolean
  onlyWorkTypes: string[] | null
  /** Set when the WIP gate applies: the claim must re-count under the project's row lock. */
  wipLimit: number | null
}

/** The work type allowed through while the default branch is failing. */
export const FIX_CI_WORK_TYPE = 'fix_ci'

type ProjectFacts = {
  id: number
  slug: string
  state: string
  gates_config: GatesConfig | null
  default_branch_status: string
  wip: number | null
  month_cost_usd: number | null
}

/**
 * Evaluates claim gates. Used inside the claim (to choose where to look) and by the admin
 * pages (to explain why nothing is claimable); it knows nothing of HTTP.
 */
export default class ClaimGates {
  /** Admissions of the given projects (all, by default), read in one query. */
  static async forProjects(
    options: { projectIds?: number[]; slug?: string; onlyActive?: boolean } = {},
    client: QueryClientContract = db.connection()
  ): Promise<ProjectAdmission[]> {
    const facts = await this.#facts(client, options)
    return facts.map((row) => this.evaluate(row))
  }

  /** A single project's gates, for the admin pages' "why is nothing claimable". */
  static async forProject(projectId: number, client?: QueryClientContract) {
    const [admission] = await this.forProjects({ projectIds: [projectId] }, client)
    return admission ?? null
  }

  /** Items of the project that count against its WIP limit. Exact only under the project's row lock. */
  static async wipCount(client: QueryClientContract, projectId: number): Promise<number> {
    const result = await client.rawQuery(
      `select count(*)::int as wip from work_items
        where project_id = ? and status in ('in_progress', 'verifying')`,
      [projectId]
    )
    return result.rows[0].wip
  }

  /** Pure: the gates of a project given its facts. */
  static evaluate(project: ProjectFacts): ProjectAdmission {
    const config = project.gates_config ?? {}
    const gates: ClaimGateState[] = []

    const active = project.state === 'active'
    gates.push({
      gate: 'project_active',
      open: active,
      reason: active ? 'Project is active.' : `Project is ${project.state}.`,
    })

    const wipLimit = limitOrNull(config.wip_limit)
    if (wipLimit !== null) {
      const wip = project.wip ?? 0
      gates.push({
        gate: 'wip_limit',
        open: wip < wipLimit,
        reason: `${wip} of ${wipLimit} items in progress or verifying.`,
      })
    }

    if (config.require_approval) {
      gates.push({
        gate: 'require_approval',
        open: true,
        reason: 'Only approved items are claimable.',
      })
    }

    const budget = limitOrNull(config.monthly_budget_usd)
    if (budget !== null) {
      const spent = project.month_cost_usd ?? 0
      gates.push({
        gate: 'monthly_budget_usd',
        open: spent < budget,
        reason: `$${spent.toFixed(2)} of $${budget.toFixed(2)} spent this month (UTC).`,
      })
    }

    const branchFailing =
      Boolean(config.default_branch_green) && project.default_branch_status === 'failing'
    if (config.default_branch_green) {
      gates.push({
        gate: 'default_branch_green',
        open: true,
        reason: branchFailing
          ? `Default branch is failing: only ${FIX_CI_WORK_TYPE} items are claimable.`
          : `Default branch is ${project.default_branch_status}.`,
      })
    }

    return {
      projectId: project.id,
      slug: project.slug,
      open: gates.every((gate) => gate.open),
      gates,
      approvedOnly: Boolean(config.require_approval),
      onlyWorkTypes: branchFailing ? [FIX_CI_WORK_TYPE] : null,
      wipLimit,
    }
  }

  /**
   * One row per project with what its gates need. The counts run only for projects whose
   * gates use them (a CASE does not evaluate the branch it does not take).
   */
  static async #facts(
    client: QueryClientContract,
    options: { projectIds?: number[]; slug?: string; onlyActive?: boolean }
  ): Promise<ProjectFacts[]> {
    const where: string[] = []
    const bindings: (string | number[])[] = []
    if (options.onlyActive) where.push(`p.state = 'active'`)
    if (options.slug !== undefined) {
      where.push('p.slug = ?')
      bindings.push(options.slug)
    }
    if (options.projectIds !== undefined) {
      where.push('p.id = any(?::int[])')
      bindings.push(options.projectIds)
    }
    const result = await client.rawQuery(
      `select p.id, p.slug, p.state, p.gates_config, p.default_branch_status,
              case when jsonb_typeof(p.gates_config -> 'wip_limit') = 'number' then
                (select count(*)::int from work_items w
                  where w.project_id = p.id and w.status in ('in_progress', 'verifying'))
              end as wip,
              case when jsonb_typeof(p.gates_config -> 'monthly_budget_usd') = 'number' then
                (select coalesce(sum(r.cost_usd), 0) from runs r
                  where r.project_id = p.id
                    and r.started_at >= date_trunc('month', now() at time zone 'UTC') at time zone 'UTC')
              end as month_cost_usd
         from projects p
        ${where.length ? `where ${where.join(' and ')}` : ''}
        order by p.id`,
      bindings
    )
    return result.rows
  }
}

function limitOrNull(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : null
}
