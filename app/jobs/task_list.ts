import type { TaskList } from 'graphile-worker'
import announceClaimable from '#jobs/announce_claimable'
import evaluateGates from '#jobs/evaluate_gates'
import reapRuns from '#jobs/reap_runs'
import recheckGates from '#jobs/recheck_gates'

/** Every graphile-worker task Gatehouse runs, by identifier. */
export const taskList: TaskList = {
  announce_claimable: announceClaimable,
  evaluate_gates: evaluateGates,
  reap_runs: reapRuns,
  recheck_gates: recheckGates,
}

/** Recurring tasks (UTC). Each has a job key so that runs never overlap across processes. */
export const crontab = [
  '* * * * * reap_runs ?jobKey=reap_runs',
  '*/5 * * * * recheck_gates ?jobKey=recheck_gates',
].join('\n')
