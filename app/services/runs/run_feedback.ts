import db from '@adonisjs/lucid/services/db'
import type { TransactionClientContract } from '@adonisjs/lucid/types/database'
import Run from '#models/run'
import type { ChangeRequest, FailingCheck, GitHubFeedback } from '#services/github/github_feedback'

/** How an attempt ended, as the next attempt is told. */
export type AttemptOutcome = 'failed' | 'timed_out' | 'rejected' | 'inherited_failure'

/** One previous attempt of an item, as its next claim answer carries it. */
export type AttemptFeedback = {
  run_id: number
  attempt: number
  outcome: AttemptOutcome
  finished_at: string | null
  summary: string | null
  error: string | null
  /** Failed or timed-out gates with their reasons. */
  gates: { gate: string; verdict: string; reason: string }[]
  checks: FailingCheck[]
  reviews: ChangeRequest[]
  /** Some text was cut to keep the attempt within MAX_ATTEMPT_TEXT_BYTES. */
  truncated: boolean
}

/** The pull request of the last attempt that opened one: fixes go there, not to a new one. */
export type ContinueFrom = {
  run_id: number
  branch_name: string | null
  pr_number: number | null
  pr_url: string | null
  head_sha: string | null
}

/** A person's note for the next attempt (given when requeueing). */
export type HumanNote = { note: string; by: string | null; at: string }

export type Feedback = {
  attempts: AttemptFeedback[]
  continue_from: ContinueFrom | null
  notes: HumanNote[]
}

export const MAX_FEEDBACK_ATTEMPTS = 5
/** The text of one attempt (summary, error, reasons, check output, comments), in UTF-8 bytes. */
export const MAX_ATTEMPT_TEXT_BYTES = 16 * 1024

/** Runs that were attempts and did not succeed: failed, timed out, or rejected by the gates. */
const UNSUCCESSFUL = (query: any) =>
  query
    .whereIn('status', ['failed', 'timed_out'])
    .orWhere((rejected: any) =>
      rejected.where('status', 'succeeded').where('gate_status', 'failed')
    )

/**
 * What the previous attempts of an item teach the next one (issue 12): read from the runs'
 * own columns and the GitHub details kept with their verdict (runs.feedback), never fetched
 * at claim time. One indexed query per part (runs_work_item: work_item_id, id desc).
 */
export default class RunFeedback {
  /** The feedback a run was (or is being) given: its item's history before it. Null when there is none. */
  static async before(
    run: Pick<Run, 'id' | 'workItemId' | 'startedAt'>,
    client?: TransactionClientContract
  ): Promise<Feedback | null> {
    const earlier = () =>
      Run.query({ client }).where('workItemId', run.workItemId).where('id', '<', run.id)
    const [attempts, withPr, noteRows] = await Promise.all([
      earlier().where(UNSUCCESSFUL).orderBy('id', 'desc').limit(MAX_FEEDBACK_ATTEMPTS),
      earlier()
        .where((query) => query.whereNotNull('prNumber').orWhereNotNull('prUrl'))
        .orderBy('id', 'desc')
        .first(),
      // Notes people left (on requeue) before this run began, newest first.
      db
        .from('work_item_notes as n')
        .leftJoin('users as u', 'u.id', 'n.user_id')
        .where('n.work_item_id', run.workItemId)
        .where('n.created_at', '<=', run.startedAt.toJSDate())
        .orderBy('n.id', 'desc')
        .limit(MAX_FEEDBACK_ATTEMPTS)
        .select('n.note', 'n.created_at', 'u.email'),
    ])
    const notes: HumanNote[] = noteRows.map((row) => ({
      note: row.note,
      by: row.email ?? null,
      at: new Date(row.created_at).toISOString(),
    }))
    if (attempts.length === 0 && !withPr && notes.length === 0) return null
    return {
      attempts: attempts.map((attempt) => this.attemptOf(attempt)),
      continue_from: withPr
        ? {
            run_id: withPr.id,
            branch_name: withPr.branchName,
            pr_number: withPr.prNumber,
            pr_url: withPr.prUrl,
            head_sha: withPr.headSha,
          }
        : null,
      notes,
    }
  }

  /** One unsuccessful run (failed, timed out or rejected) as feedback. */
  static attemptOf(run: Run): AttemptFeedback {
    const github: GitHubFeedback = run.feedback ?? { checks: [], reviews: [] }
    const budget = new TextBudget(MAX_ATTEMPT_TEXT_BYTES)
    // Most telling first: what failed and why, then the detail, the agent's own summary last.
    const error = budget.take(run.error)
    const gates = (run.gateResults ?? [])
      .filter((verdict) => verdict.verdict === 'failed')
      .map((verdict) => ({
        gate: verdict.gate,
        verdict: verdict.verdict,
        reason: budget.take(verdict.reason) ?? '',
      }))
    const checks = github.checks.map((check) => ({
      name: check.name,
      conclusion: check.conclusion,
      details_url: check.details_url,
      title: budget.take(check.title),
      summary: budget.take(check.summary),
      annotations: budget.keep(check.annotations, (annotation) => annotation.message, 'message'),
    }))
    const reviews = github.reviews.map((review) => ({
      reviewer: review.reviewer,
      body: budget.take(review.body),
      submitted_at: review.submitted_at,
      comments: budget.keep(review.comments, (comment) => comment.body, 'body'),
    }))
    const summary = budget.take(run.summary)
    return {
      run_id: run.id,
      attempt: run.attempt,
      outcome: outcomeOf(run),
      finished_at: run.finishedAt?.toUTC().toISO() ?? null,
      summary,
      error,
      gates,
      checks,
      reviews,
      truncated: budget.exceeded,
    }
  }
}

/** An attempt that did not succeed: its feedback is worth handing on. */
export function isUnsuccessful(run: Run) {
  return (
    run.status === 'failed' ||
    run.status === 'timed_out' ||
    (run.status === 'succeeded' && run.gateStatus === 'failed')
  )
}

function outcomeOf(run: Run): AttemptOutcome {
  if (run.status === 'timed_out') return 'timed_out'
  if (run.status === 'succeeded')
    return run.feedback?.inherited_failure ? 'inherited_failure' : 'rejected'
  return 'failed'
}

/** Hands out at most `bytes` of text over several fields; what does not fit is cut or left out. */
class TextBudget {
  exceeded = false

  constructor(private left: number) {}

  take(text: string | null | undefined): string | null {
    if (text === null || text === undefined) return null
    const size = Buffer.byteLength(text)
    if (size <= this.left) {
      this.left -= size
      return text
    }
    this.exceeded = true
    const cut = Buffer.from(text).subarray(0, Math.max(0, this.left)).toString('utf8')
    // A multi-byte character cut in half decodes as U+FFFD: drop it.
    const clean = cut.replace(/\uFFFD$/, '')
    this.left = 0
    return clean.length > 0 ? `${clean}…` : ''
  }

  /** Items whose text still fits (cut to fit for the last one); the rest are left out. */
  keep<T, K extends keyof T>(items: T[], text: (item: T) => string, field: K): T[] {
    const kept: T[] = []
    for (const item of items) {
      if (this.left <= 0) {
        this.exceeded = true
        break
      }
      kept.push({ ...item, [field]: this.take(text(item)) })
    }
    return kept
  }
}
