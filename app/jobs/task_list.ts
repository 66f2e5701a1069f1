import type { TaskList } from 'graphile-worker'
import announceClaimable from '#jobs/announce_claimable'
import evaluateGates from '#jobs/evaluate_gates'
import reapRuns from '#jobs/reap_runs'
import recheckGates from '#jobs/recheck_gates'
import processGitHubWebhook from '#jobs/process_github_webhook'
import syncGitHub from '#jobs/sync_github'
import syncGitHubProject from '#jobs/sync_github_project'
import refreshDefaultBranch from '#jobs/refresh_default_branch'
import reportRunToGitHub from '#jobs/report_run_to_github'
import postGatehouseStatus from '#jobs/post_gatehouse_status'
import reportItemToGitHub from '#jobs/report_item_to_github'
import pruneIdempotencyKeys from '#jobs/prune_idempotency_keys'
import postQuestionToGitHub from '#jobs/post_question_to_github'
import answerQuestionFromGitHub from '#jobs/answer_question_from_github'
import recoverCrashedWorkers from '#jobs/recover_crashed_workers'
import deliverNotification from '#jobs/deliver_notification'

/** Every graphile-worker task Gatehouse runs, by identifier. */
export const taskList: TaskList = {
  announce_claimable: announceClaimable,
  evaluate_gates: evaluateGates,
  reap_runs: reapRuns,
  recheck_gates: recheckGates,
  process_github_webhook: processGitHubWebhook,
  sync_github: syncGitHub,
  sync_github_project: syncGitHubProject,
  refresh_default_branch: refreshDefaultBranch,
  report_run_to_github: reportRunToGitHub,
  post_gatehouse_status: postGatehouseStatus,
  report_item_to_github: reportItemToGitHub,
  prune_idempotency_keys: pruneIdempotencyKeys,
  post_question_to_github: postQuestionToGitHub,
  answer_question_from_github: answerQuestionFromGitHub,
  recover_crashed_workers: recoverCrashedWorkers,
}

/**
 * Notification deliveries run in a runner of their own (Worker): a receiver that hangs until
 * the timeout holds one of its slots, never one of the gate or GitHub jobs'.
 */
export const notificationTaskList: TaskList = {
  deliver_notification: deliverNotification,
}

/** Recurring tasks (UTC). Each has a job key so that runs never overlap across processes. */
export const crontab = [
  '* * * * * reap_runs ?jobKey=reap_runs',
  '* * * * * recover_crashed_workers ?jobKey=recover_crashed_workers',
  '*/5 * * * * recheck_gates ?jobKey=recheck_gates',
  '*/10 * * * * sync_github ?jobKey=sync_github',
  '17 * * * * prune_idempotency_keys ?jobKey=prune_idempotency_keys',
  // A new UTC month resets every monthly budget: waiting claimers may look again.
  '0 0 1 * * announce_claimable ?jobKey=announce_budget_month&fill=1d',
].join('\n')
