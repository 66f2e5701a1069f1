import UntracedTransformer from '#transformers/untraced_transformer'
import { type default as Run, runStateOf } from '#models/run'
import WorkItemTransformer from '#transformers/work_item_transformer'
import RunFeedback, { isUnsuccessful } from '#services/runs/run_feedback'

/** A run as the agent API shows it to the agent that holds it. */
export default class RunTransformer extends UntracedTransformer<Run> {
  constructor(
    run: Run,
    /** The lease the claim granted, for the heartbeat interval of the claim answer. */
    protected leaseSeconds?: number
  ) {
    super(run)
  }

  /** The whole run: GET /runs/:id and the answers to its completion and release. */
  toObject() {
    const run = this.resource
    return {
      id: run.id,
      work_item_id: run.workItemId,
      attempt: run.attempt,
      status: run.status,
      started_at: run.startedAt.toUTC().toISO(),
      heartbeat_at: run.heartbeatAt?.toUTC().toISO() ?? null,
      lease_expires_at: run.leaseExpiresAt.toUTC().toISO(),
      finished_at: run.finishedAt?.toUTC().toISO() ?? null,
      cancel_requested: run.cancelRequestedAt !== null,
      run_state: runStateOf(run),
      cancel_requested_at: run.cancelRequestedAt?.toUTC().toISO() ?? null,
      progress: run.progress,
      summary: run.summary,
      error: run.error,
      branch_name: run.branchName,
      pr_url: run.prUrl,
      pr_number: run.prNumber,
      head_sha: run.headSha,
      logs_url: run.logsUrl,
      artifacts_url: run.artifactsUrl,
      costs: run.costs,
      cost_usd: Number(run.costUsd),
      tests: run.tests,
      gate_status: run.gateStatus,
      gate_results: run.gateResults ?? [],
      review_status: run.reviewStatus,
      last_log_seq: run.lastLogSeq,
    }
  }

  /**
   * GET /runs/:id: the whole run, the feedback its claim answer carried, and once judged, what
   * this run itself is told (issue 12).
   */
  async withFeedback() {
    const run = this.resource
    return {
      ...this.toObject(),
      feedback: await RunFeedback.before(run),
      verdict: isUnsuccessful(run) ? RunFeedback.attemptOf(run) : null,
    }
  }

  /** A run just claimed: how long it is leased and how often to heartbeat. */
  claimed() {
    const run = this.resource
    return {
      id: run.id,
      attempt: run.attempt,
      lease_expires_at: run.leaseExpiresAt.toUTC().toISO(),
      heartbeat_interval_seconds: Math.max(1, Math.floor((this.leaseSeconds ?? 0) / 3)),
    }
  }

  /** One of the runs the agent holds (GET /agent), with its item (preloaded). */
  running() {
    const run = this.resource
    return {
      id: run.id,
      attempt: run.attempt,
      started_at: run.startedAt.toUTC().toISO(),
      heartbeat_at: run.heartbeatAt?.toUTC().toISO() ?? null,
      lease_expires_at: run.leaseExpiresAt.toUTC().toISO(),
      cancel_requested: run.cancelRequestedAt !== null,
      work_item: WorkItemTransformer.transform(run.workItem).useVariant('summary'),
    }
  }

  /** A heartbeat's answer: the extended lease, and whether to stop. */
  lease() {
    const run = this.resource
    return {
      lease_expires_at: run.leaseExpiresAt.toUTC().toISO(),
      cancel_requested: run.cancelRequestedAt !== null,
      run_state: runStateOf(run),
    }
  }
}
