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
}

/**
 * An accept gate of spec §4: judges a run that its agent reported as succeeded. A gate that
 * waits for facts still to come (a review, a CI check) answers `pending`; the evaluator turns
 * a verdict still pending after `ci_timeout_minutes` into a failure.
 */
export interface AcceptGate {
  readonly name: string
  appliesTo(project: Project): boolean
  evaluate(run: Run, context: GateContext): GateVerdict | Promise<GateVerdict>
}
