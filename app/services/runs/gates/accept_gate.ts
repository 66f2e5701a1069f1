import type { DateTime } from 'luxon'
import type { TransactionClientContract } from '@adonisjs/lucid/types/database'
import type Project from '#models/project'
import type Run from '#models/run'
import type { GateVerdict } from '#models/run'
import type { ProjectPolicies } from '#models/policy'
import type WorkItem from '#models/work_item'
import type Agent from '#models/agent'

/** The facts key of the run's pull request, fetched once per evaluation for every gate that judges it. */
export const PULL_REQUEST_FACTS = 'pull_request'

/**
 * Why a gate refused or waits, as a stable code (docs/github.md has the table). Reasons
 * are for people; codes are for the audit trail, the pages and whoever automates on them.
 */
export type GateReasonCode =
  | 'pr_missing'
  | 'pr_not_found'
  | 'wrong_repo'
  | 'wrong_base'
  | 'pr_closed'
  | 'pr_not_linked'
  | 'pr_reused'
  | 'pr_stale'
  | 'stale_sha'
  | 'checks_failed'
  | 'checks_pending'
  | 'self_approval'
  | 'stale_approval'
  | 'approvals_missing'
  | 'protected_paths'
  | 'github_unavailable'

/** What a gate may look at besides the run: read through the evaluating transaction. */
export type GateContext = {
  project: Project
  policies: ProjectPolicies
  now: DateTime
  client: TransactionClientContract
  item: WorkItem
  /** The run's agent: its `github_login`'s approvals never count. */
  agent: Agent | null
  /**
   * What gates with `gatherFacts` fetched before the transaction began (by gate name);
   * absent when the evaluation runs inside another transition (the agent's completion).
   */
  facts?: Map<string, GateFacts>
}

/** Facts fetched from outside (GitHub) for one gate, or why they could not be. */
export type GateFacts =
  { ok: true; value: unknown } | { ok: false; reason: string; notFound?: boolean }

/**
 * An accept gate of spec §4: judges a run that its agent reported as succeeded. A gate that
 * waits for facts still to come (a review, a CI check) answers `pending`; the evaluator turns
 * a verdict still pending after `ci_timeout_minutes` into a failure.
 */
export interface AcceptGate {
  readonly name: string
  appliesTo(project: Project, policies: ProjectPolicies): boolean
  /** Judges the run's pull request: the evaluator fetches its facts once for all such gates. */
  readonly usesPullRequest?: boolean
  evaluate(run: Run, context: GateContext): GateVerdict | Promise<GateVerdict>
  /**
   * Fetches the outside facts the gate judges by. Called outside any transaction, so that no
   * row lock is held while GitHub answers; its errors become a pending verdict.
   */
  gatherFacts?(run: Run, project: Project): Promise<unknown>
}
