import RunLifecycle from '#services/runs/run_lifecycle'

/** Periodically: re-evaluates every run still waiting for gate verdicts (and fails the overdue). */
export default async function recheckGates() {
  await RunLifecycle.recheckPendingGates()
}
