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
import pruneRetainedData from '#jobs/prune_retained_data'
import postQuestionToGitHub from '#jobs/post_question_to_github'
import answerQuestionFromGitHub from '#jobs/answer_question_from_github'
import recoverCrashedWorkers from '#jobs/recover_crashed_workers'
import processBulkAction from '#jobs/process_bulk_action'
import sealAuditEvents from '#jobs/seal_audit_events'
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
  prune_retained_data: pruneRetainedData,
  post_question_to_github: postQuestionToGitHub,
  answer_question_from_github: answerQuestionFromGitHub,
  recover_crashed_workers: recoverCrashedWorkers,
  process_bulk_action: processBulkAction,
  seal_audit_events: sealAuditEvents,
  deliver_notification: deliverNotification,
}

/**
 * Short housekeeping tasks that must never wait behind slow GitHub jobs: each worker process
 * runs them in a small graphile-worker runner of their own (Worker).
 */
export const maintenanceTasks = [
  'reap_runs',
  'announce_claimable',
  'recover_crashed_workers',
  'prune_retained_data',
]

/**
 * Notification deliveries (slack, webhook) run in a runner of their own (Worker): a receiver
 * that hangs until the timeout holds one of its slots, never a gate, GitHub or maintenance job's.
 */
export const notificationTasks = ['deliver_notification']

/**
 * Recurring tasks (UTC). Each has a job key so that runs never overlap across processes.
 * `fill`: ticks missed while no worker ran (or while Postgres was away) are caught up when the
 * cron starts again, as one job per task (the job key folds the missed ticks together). Every
 * task here is safe to run late: each looks at the present state, not at its tick's time.
 */
export const crontab = [
  '* * * * * reap_runs ?jobKey=reap_runs&fill=1h',
  '* * * * * recover_crashed_workers ?jobKey=recover_crashed_workers&fill=1h',
  '* * * * * seal_audit_events ?jobKey=seal_audit_events&fill=1h',
  '*/5 * * * * recheck_gates ?jobKey=recheck_gates&fill=1h',
  '*/10 * * * * sync_github ?jobKey=sync_github&fill=1h',
  '30 3 * * * prune_retained_data ?jobKey=prune_retained_data&fill=1d',
  // A new UTC month resets every monthly budget: waiting claimers may look again.
  '0 0 1 * * announce_claimable ?jobKey=announce_budget_month&fill=1d',
].join('\n')
