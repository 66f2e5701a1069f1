import { DateTime } from 'luxon'
import type { TransactionClientContract } from '@adonisjs/lucid/types/database'
import db from '@adonisjs/lucid/services/db'
import { compose } from '@adonisjs/core/helpers'
import { belongsTo, hasMany, scope } from '@adonisjs/lucid/orm'
import type { BelongsTo, HasMany } from '@adonisjs/lucid/types/relations'
import { RunSchema } from '#database/schema'
import { MAX_INTEGER } from '#database/column_limits'
import { jsonColumn } from '#models/json_column'
import WorkItem from '#models/work_item'
import Project from '#models/project'
import Agent from '#models/agent'
import User from '#models/user'
import RunLog, { type LogLevel } from '#models/run_log'
import { withAuditedChanges, type AuditOptions } from '#models/mixins/audited_changes'
import Policy from '#models/policy'
import { RUN_LOGS_CHANNEL } from '#infrastructure/run_log_notifier'
import InvalidTransition from '#exceptions/invalid_transition'
import LogGap from '#exceptions/log_gap'
import Quotas, { LogTotalReached } from '#services/quotas'

export const RUN_STATUSES = [
  'running',
  'succeeded',
  'failed',
  'timed_out',
  'cancelled',
  'released',
  'needs_input',
] as const
export type RunStatus = (typeof RUN_STATUSES)[number]
export type GateStatus = 'pending' | 'passed' | 'failed'
export type GateVerdict = {
  gate: string
  verdict: GateStatus
  reason: string
  /** Why it refused or waits, as a stable code (GateReasonCode). */
  code?: string
  at?: string
  /** On the `pull_request` verdict: what GitHub said about the PR (PullRequestFacts). */
  facts?: unknown
}
export type RunCosts = {
  input_tokens?: number
  output_tokens?: number
  usd?: number
  model?: string
}
export type RunTests = { passed: number; failed: number; skipped?: number }
/** What an agent is told about its run on every run-scoped answer (`Gatehouse-Run-State`). */
export type RunState = 'running' | 'cancel_requested' | 'finished'

/** The state an agent acts on: keep working, stop because a person cancelled, or stop. */
export function runStateOf(run: { status: string; cancelRequestedAt: unknown }): RunState {
  if (run.status !== 'running') return 'finished'
  return run.cancelRequestedAt ? 'cancel_requested' : 'running'
}
export type ReviewDecision = 'approved' | 'rejected'

/** A failing check of a run's head commit, as the agent needs it to fix the failure. */
export type FailingCheck = {
  name: string
  conclusion: string
  details_url: string | null
  title: string | null
  summary: string | null
  annotations: { path: string; line: number | null; message: string }[]
}

/** A review that asked for changes, with its inline comments. */
export type ChangeRequest = {
  reviewer: string | null
  body: string | null
  submitted_at: string | null
  comments: { body: string; path: string; line: number | null }[]
}

/** What GitHub said against a run, kept with its verdict (runs.feedback). */
export type GitHubFeedback = {
  checks: FailingCheck[]
  reviews: ChangeRequest[]
  /** Checks failing on the default branch when the run was judged (read only while it is red). */
  default_branch_failing?: string[]
  /** Every failing required check fails on the default branch too: not the agent's fault. */
  inherited_failure?: boolean
}

/**
 * Counts a batch on the run's row (bindings: lines, bytes, bytes), in the statement that
 * numbers it: the lines and bytes of the run's current second, which a batch more than a
 * second after the second began starts afresh, and the run's total bytes. Every SET expression
 * reads the row as it was.
 */
const COUNT_LOG_BATCH = `
  log_second_lines = case when log_second_started_at > now() - interval '1 second' then log_second_lines else 0 end + ?,
  log_second_bytes = case when log_second_started_at > now() - interval '1 second' then log_second_bytes else 0 end + ?,
  log_second_started_at = case when log_second_started_at > now() - interval '1 second' then log_second_started_at else now() end,
  log_bytes = log_bytes + ?`
/** The counts after COUNT_LOG_BATCH, as Quotas.judgeLogBatch reads them. */
const LOG_BATCH_COUNTED = `log_second_lines, log_second_bytes, log_bytes,
  extract(epoch from log_second_started_at + interval '1 second' - now()) as second_left`

/** What a batch weighs against the byte quotas: its lines as JSON. */
function logBytesOf(lines: LogLine[]) {
  return Buffer.byteLength(JSON.stringify(lines))
}

/** One line an agent streams; the server assigns its seq. */
export type LogLine = {
  level: LogLevel
  message: string
  stream?: 'stdout' | 'stderr' | null
  data?: Record<string, unknown> | null
  loggedAt?: DateTime | null
}

export default class Run extends compose(RunSchema, withAuditedChanges()) {
  declare status: RunStatus
  declare gateStatus: GateStatus | null
  declare reviewStatus: 'approved' | 'rejected' | null

  @jsonColumn()
  declare costs: RunCosts | null

  @jsonColumn()
  declare tests: RunTests | null

  @jsonColumn()
  declare gateResults: GateVerdict[]

  /** What GitHub said against the run (failing checks, change requests), kept with its verdict. */
  @jsonColumn()
  declare feedback: GitHubFeedback | null

  @belongsTo(() => WorkItem)
  declare workItem: BelongsTo<typeof WorkItem>

  @belongsTo(() => Project)
  declare project: BelongsTo<typeof Project>

  @belongsTo(() => Agent)
  declare agent: BelongsTo<typeof Agent>

  @belongsTo(() => User, { foreignKey: 'reviewedByUserId' })
  declare reviewedBy: BelongsTo<typeof User>

  @hasMany(() => RunLog)
  declare logs: HasMany<typeof RunLog>

  /** The filters of the admin list. */
  static filtered = scope(
    (query, filters: { project?: number; agent?: number; status?: RunStatus }) => {
      if (filters.project) query.where('projectId', filters.project)
      if (filters.agent) query.where('agentId', filters.agent)
      if (filters.status) query.where('status', filters.status)
    }
  )

  /** A run of this agent: another agent's run is as invisible as one that does not exist (404). */
  static async findForAgentOrFail(agent: Agent, id: number) {
    // An id past the integer column's range names no run (Postgres would refuse the comparison).
    const query = this.query().where('agentId', agent.id)
    return (
      Number(id) <= MAX_INTEGER ? query.where('id', id) : query.whereRaw('false')
    ).firstOrFail()
  }

  /** This agent's run's state as it is now, or null when the agent has no such run. */
  static async currentState(agentId: number, id: number): Promise<RunState | null> {
    if (!(Number(id) <= MAX_INTEGER)) return null
    const row = await db
      .from('runs')
      .where({ id, agent_id: agentId })
      .select('status', 'cancel_requested_at')
      .first()
    return row
      ? runStateOf({ status: row.status, cancelRequestedAt: row.cancel_requested_at })
      : null
  }

  get isRunning() {
    return this.status === 'running'
  }

  /**
   * The agent is alive: extends the lease by the project's `lease_seconds` and keeps its
   * progress note. One conditional UPDATE, so a run the reaper has just timed out is refused.
   */
  async heartbeat(progress?: string | null) {
    const { lease_seconds: leaseSeconds } = await Policy.forProject(this.projectId)
    const rows = await db
      .from('runs')
      .where('id', this.id)
      .where('status', 'running')
      .update({
        heartbeat_at: db.raw('now()'),
        lease_expires_at: db.raw('now() + make_interval(secs => ?)', [leaseSeconds]),
        progress: progress === undefined ? db.raw('progress') : progress,
        updated_at: db.raw('now()'),
      })
      .returning(['heartbeat_at', 'lease_expires_at', 'cancel_requested_at', 'progress'])
    if (rows.length === 0) {
      await this.refresh()
      throw this.#notRunning()
    }
    const [row] = rows
    this.heartbeatAt = DateTime.fromJSDate(row.heartbeat_at)
    this.leaseExpiresAt = DateTime.fromJSDate(row.lease_expires_at)
    this.cancelRequestedAt = row.cancel_requested_at
      ? DateTime.fromJSDate(row.cancel_requested_at)
      : null
    this.progress = row.progress
    this.$hydrateOriginals()
    return this
  }

  /**
   * Appends a batch of log lines with consecutive server-assigned seqs: the counter is bumped
   * by the batch size in one UPDATE … RETURNING, so concurrent batches never interleave seqs.
   * The same statement counts the batch against the run's log quotas (Quotas.judgeLogBatch).
   */
  async appendLogs(lines: LogLine[]): Promise<{ accepted: number; lastSeq: number }> {
    return this.#countingLogs(async (trx) => {
      const bytes = logBytesOf(lines)
      const { rows } = await trx.rawQuery(
        `update runs set last_log_seq = last_log_seq + ?, ${COUNT_LOG_BATCH}
          where id = ? and status = 'running'
          returning last_log_seq, cancel_requested_at, ${LOG_BATCH_COUNTED}`,
        [lines.length, lines.length, bytes, bytes, this.id]
      )
      if (rows.length === 0) {
        await this.refresh()
        throw this.#notRunning()
      }
      Quotas.judgeLogBatch(rows[0])
      this.cancelRequestedAt = rows[0].cancel_requested_at
        ? DateTime.fromJSDate(rows[0].cancel_requested_at)
        : null
      const lastSeq: number = rows[0].last_log_seq
      const firstSeq = lastSeq - lines.length + 1
      await this.#storeLogs(trx, firstSeq, lines)
      this.lastLogSeq = lastSeq
      return { accepted: lines.length, lastSeq }
    })
  }

  /**
   * Appends a batch the client numbered (`first_seq`, spec issue 15): only the lines the run
   * does not have yet are stored, so a batch sent again after a lost answer stores nothing. A
   * batch that would leave a gap is refused with the seq the client must resume from. The run
   * row is locked, so batches of one run are numbered one at a time.
   */
  async appendLogsFrom(
    firstSeq: number,
    lines: LogLine[]
  ): Promise<{ accepted: number; lastSeq: number }> {
    return this.#countingLogs(async (trx) => {
      const row = await trx
        .from('runs')
        .where('id', this.id)
        .forUpdate()
        .select('status', 'last_log_seq')
        .firstOrFail()
      const stored: number = row.last_log_seq
      const fresh = lines.slice(Math.max(0, stored + 1 - firstSeq))
      // Every line already stored: the answer is the same whether the run still runs or not.
      if (fresh.length === 0 && firstSeq <= stored + 1) return { accepted: 0, lastSeq: stored }
      if (firstSeq > stored + 1) throw new LogGap(this.id, stored + 1, firstSeq)
      if (row.status !== 'running') {
        await this.refresh()
        throw this.#notRunning()
      }
      const lastSeq = stored + fresh.length
      const bytes = logBytesOf(fresh)
      const { rows: counted } = await trx.rawQuery(
        `update runs set last_log_seq = ?, ${COUNT_LOG_BATCH} where id = ?
          returning cancel_requested_at, ${LOG_BATCH_COUNTED}`,
        [lastSeq, fresh.length, bytes, bytes, this.id]
      )
      Quotas.judgeLogBatch(counted[0])
      this.cancelRequestedAt = counted[0].cancel_requested_at
        ? DateTime.fromJSDate(counted[0].cancel_requested_at)
        : null
      await this.#storeLogs(trx, stored + 1, fresh)
      this.lastLogSeq = lastSeq
      return { accepted: fresh.length, lastSeq }
    })
  }

  /**
   * Step of a review (RunLifecycle.review, which then judges the gates again): the reviewer's
   * decision for the `human_review` gate, audited with the request's IP.
   */
  async recordReview(
    by: User,
    decision: ReviewDecision,
    note: string | null,
    options: AuditOptions = {}
  ) {
    await this.changeAudited(
      by,
      'run.reviewed',
      async () => {
        // Also while an accepted run's new commits are judged again (protected paths may need a person).
        const judging = this.gateStatus === 'pending' || this.prChangedAt !== null
        if (this.status !== 'succeeded' || !judging) {
          throw new InvalidTransition(`Run ${this.id} is not waiting for its gates.`)
        }
        this.reviewStatus = decision
        this.reviewedByUserId = by.id
        this.reviewedAt = DateTime.now()
        return { details: { decision, note } }
      },
      options
    )
  }

  /**
   * Stores lines numbered from `firstSeq` (none for an empty batch) and notifies live log
   * pages, which wake on commit (see run_log_notifier.ts), in one statement: the NOTIFY was a
   * round trip of its own. The parameters are one array per column: a multi-row VALUES had 7
   * parameters per line, and numbering and sending 3,500 of them for a batch of 500 took about
   * half of the log phase's CPU in the bench.
   */
  async #storeLogs(trx: TransactionClientContract, firstSeq: number, lines: LogLine[]) {
    await trx.rawQuery(
      `with stored as (
         insert into run_logs (run_id, seq, level, stream, message, data, logged_at)
         select ?, ? + t.n - 1, t.level, t.stream, t.message, t.data, coalesce(t.logged_at, now())
           from unnest(?::text[], ?::text[], ?::text[], ?::jsonb[], ?::timestamptz[])
                with ordinality as t(level, stream, message, data, logged_at, n))
       select pg_notify(?, ?)`,
      [
        this.id,
        firstSeq,
        lines.map((line) => line.level),
        // Lucid's binding type has no arrays with nulls; pg sends them as NULL elements.
        lines.map((line) => line.stream ?? null) as string[],
        lines.map((line) => line.message),
        lines.map((line) => (line.data ? JSON.stringify(line.data) : null)) as string[],
        lines.map((line) => line.loggedAt?.toJSDate() ?? null) as Date[],
        RUN_LOGS_CHANNEL,
        String(this.id),
      ]
    )
  }

  /** A log append's transaction; past the run's log total, its logs are marked cut. */
  async #countingLogs<T>(append: (trx: TransactionClientContract) => Promise<T>) {
    try {
      return await db.transaction(append)
    } catch (error) {
      if (error instanceof LogTotalReached) {
        await db.from('runs').where('id', this.id).whereNull('logs_cut_at').update({
          logs_cut_at: new Date(),
        })
      }
      throw error
    }
  }

  #notRunning() {
    return new InvalidTransition(
      `Run ${this.id} is ${this.status}, no longer running: stop working on it.`
    )
  }
}
