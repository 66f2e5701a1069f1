import GateEvaluator from '#services/runs/gate_evaluator'

/** Periodically: re-evaluates every run still waiting for gate verdicts (and fails the overdue). */
export default async function recheckGates() {
  await GateEvaluator.recheckPending()
}
