import type { DateTime } from 'luxon'
import type { TransactionClientContract } from '@adonisjs/lucid/types/database'
import type Project from '#models/project'
import type Run from '#models/run'
import type { GateVerdict } from '#models/run'
import type { ProjectPolicies } from '#models/policy'

/** What a gate may look at besides the run: read through the evaluating transaction. */
export type GateContext = {
  project: Project
  policies: ProjectPolicies
  now: DateTime
  client: TransactionClientContract
  /**
   * What gates with `gatherFacts` fetched before the transaction began (by gate name);
   * absent when the evaluation runs inside another transition (the agent's completion).
   */
  facts?: Map<string, GateFacts>
}

/** Facts fetched from outside (GitHub) for one gate, or why they could not be. */
export type GateFacts = { ok: true; value: unknown } | { ok: false; reason: string }

/**
 * An accept gate of spec §4: judges a run that its agent reported as succeeded. A gate that
 * waits for facts still to come (a review, a CI check) answers `pending`; the evaluator turns
 * a verdict still pending after `ci_timeout_minutes` into a failure.
 */
export interface AcceptGate {
  readonly name: string
  appliesTo(project: Project): boolean
  evaluate(run: Run, context: GateContext): GateVerdict | Promise<GateVerdict>
  /**
   * Fetches the outside facts the gate judges by. Called outside any transaction, so that no
   * row lock is held while GitHub answers; its errors become a pending verdict.
   */
  gatherFacts?(run: Run, project: Project): Promise<unknown>
}
