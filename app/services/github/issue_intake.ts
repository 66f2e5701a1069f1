import { RequestError } from 'octokit'
import db from '@adonisjs/lucid/services/db'
import type { TransactionClientContract } from '@adonisjs/lucid/types/database'
import type Project from '#models/project'
import Policy from '#models/policy'
import WorkItem from '#models/work_item'
import AuditEvent from '#models/audit_event'
import Claimable from '#infrastructure/claimable'
import InvalidTransition from '#exceptions/invalid_transition'
import GitHubClient, { GitHubFailure } from '#services/github/github_client'

/** What intake reads of a GitHub issue (REST answer or webhook payload: the same shape). */
export type GitHubIssue = {
  number: number
  title: string
  body?: string | null
  state: string
  html_url: string
  updated_at?: string | null
  labels: (string | { name?: string | null })[]
  pull_request?: unknown
}

export type IntakeOutcome =
  'created' | 'updated' | 'unchanged' | 'cancelled' | 'reopened' | 'ignored'
export type IntakeSummary = Record<IntakeOutcome, number> & { pages: number }
export type IntakeProgress = { page: number; lastPage: number | null; issues: number }

/** Priority labels (spec §6); an issue without one gets the lowest. */
const PRIORITY_LABELS: Record<string, number> = { P0: 100, P1: 50, P2: 0 }
const DEFAULT_WORK_TYPE = 'code'

export const externalRefOf = (issueNumber: number) => `github:issue:${issueNumber}`

/**
 * Intake of GitHub issues into work items (spec §6): open issues labelled with the project's
 * `intake_label` become items (upsert on `github:issue:<n>`); closing an issue cancels its
 * unfinished item. Used by the periodic sync, `projects:sync` and `issues` webhooks alike.
 */
export default class IssueIntake {
  /**
   * Reads every open labelled issue (all pages), upserts their items, then checks the
   * unfinished items whose issue was not listed and cancels those whose issue is closed.
   */
  static async sync(
    project: Project,
    onProgress?: (progress: IntakeProgress) => void
  ): Promise<IntakeSummary> {
    const client = await GitHubClient.forProject(project)
    const { owner, repo } = client
    const { intake_label: label } = await Policy.forProject(project.id)
    const summary: IntakeSummary = {
      created: 0,
      updated: 0,
      unchanged: 0,
      cancelled: 0,
      reopened: 0,
      ignored: 0,
      pages: 0,
    }
    const listed = new Set<number>()

    const pages = client.octokit.paginate.iterator(client.octokit.rest.issues.listForRepo, {
      owner,
      repo,
      state: 'open',
      labels: label,
      per_page: 100,
    })
    for await (const page of pageByPage(client, pages)) {
      summary.pages++
      for (const issue of page.data) {
        // The issues API lists pull requests too.
        if (issue.pull_request) continue
        listed.add(issue.number)
        const outcome = await db.transaction((trx) =>
          this.applyWithin(trx, project, issue as GitHubIssue, label)
        )
        summary[outcome]++
      }
      onProgress?.({
        page: summary.pages,
        lastPage: lastPageOf(page.headers.link) ?? summary.pages,
        issues: listed.size,
      })
    }

    for (const item of await this.#unlistedItems(project, listed)) {
      const number = Number(item.externalRef!.split(':')[2])
      let state: string
      try {
        const { data } = await client.call((octokit) =>
          octokit.rest.issues.get({ owner, repo, issue_number: number })
        )
        state = data.state
      } catch (error) {
        if (!(error instanceof GitHubFailure) || error.kind !== 'not_found') throw error
        state = 'deleted'
      }
      // Open but no longer labelled: the item stays as it is (a human may cancel it).
      if (state === 'open') continue
      const cancelled = await db.transaction((trx) =>
        item.cancelBySystem(trx, `GitHub issue #${number} is ${state}`)
      )
      if (cancelled) summary.cancelled++
    }
    return summary
  }

  /**
   * One issue (from a listing or a webhook), in the caller's transaction. Open and labelled:
   * the item is created or brought up to date (only while unfinished); closed: its unfinished
   * item is cancelled; `reopened`: an item cancelled by the closing is pending again.
   */
  static async applyWithin(
    trx: TransactionClientContract,
    project: Project,
    issue: GitHubIssue,
    label: string,
    options: { reopened?: boolean } = {}
  ): Promise<IntakeOutcome> {
    if (issue.pull_request) return 'ignored'
    const ref = externalRefOf(issue.number)
    // A replay (a captured delivery sent again with a new id) carries the issue as it was: when
    // that is older than what was applied, it changes nothing. A reopening must be newer still.
    const seenAt = issue.updated_at ? new Date(issue.updated_at) : null
    if (seenAt && !Number.isNaN(seenAt.getTime())) {
      const applied = await trx
        .from('work_items')
        .where('project_id', project.id)
        .where('external_ref', ref)
        .forUpdate()
        .select('github_updated_at')
        .first()
      const last: Date | null = applied?.github_updated_at ?? null
      if (last && (seenAt < last || (options.reopened && seenAt <= last))) return 'unchanged'
      const outcome = await this.#apply(trx, project, issue, label, ref, options)
      await trx
        .from('work_items')
        .where('project_id', project.id)
        .where('external_ref', ref)
        .update({ github_updated_at: seenAt })
      return outcome
    }
    return this.#apply(trx, project, issue, label, ref, options)
  }

  static async #apply(
    trx: TransactionClientContract,
    project: Project,
    issue: GitHubIssue,
    label: string,
    ref: string,
    options: { reopened?: boolean }
  ): Promise<IntakeOutcome> {
    if (issue.state !== 'open') {
      const item = await WorkItem.query({ client: trx })
        .where('projectId', project.id)
        .where('externalRef', ref)
        .first()
      if (!item) return 'ignored'
      return (await item.cancelBySystem(trx, `GitHub issue #${issue.number} is ${issue.state}`))
        ? 'cancelled'
        : 'unchanged'
    }
    const labels = labelNames(issue)
    if (!labels.some((name) => name.toLowerCase() === label.toLowerCase())) return 'ignored'

    const fields = itemFields(issue, labels)
    const { rows } = await trx.rawQuery(
      `insert into work_items (project_id, source, external_ref, external_url, title, payload, priority, work_type, status, run_after)
       values (?, 'github', ?, ?, ?, ?::jsonb, ?, ?, 'pending', now())
       on conflict (project_id, external_ref) do update
          set title = excluded.title, payload = excluded.payload, priority = excluded.priority,
              work_type = excluded.work_type, external_url = excluded.external_url, updated_at = now()
        -- Finished items keep what they were; unchanged ones are not rewritten (idempotent re-runs).
        where work_items.status not in ('completed', 'failed', 'cancelled')
          and (work_items.title, work_items.payload, work_items.priority, work_items.work_type, work_items.external_url)
              is distinct from (excluded.title, excluded.payload, excluded.priority, excluded.work_type, excluded.external_url)
       returning *, (xmax = 0) as inserted`,
      [
        project.id,
        ref,
        fields.externalUrl,
        fields.title,
        JSON.stringify(fields.payload),
        fields.priority,
        fields.workType,
      ]
    )
    if (rows.length === 0) {
      if (options.reopened) return this.#reopen(trx, project, issue.number)
      return 'unchanged'
    }
    const item = WorkItem.$createFromAdapterResult(rows[0])!
    const created = rows[0].inserted === true
    await AuditEvent.record(trx, {
      actor: 'system',
      action: created ? 'work_item.created' : 'work_item.updated',
      subject: item,
      details: {
        source: 'github',
        issue: issue.number,
        title: item.title,
        priority: item.priority,
        work_type: item.workType,
      },
    })
    if (item.status === 'pending') await Claimable.announce(trx, project.id)
    return created ? 'created' : 'updated'
  }

  /** A reopened issue brings back the item its closing cancelled (unless a run is still stopping). */
  static async #reopen(
    trx: TransactionClientContract,
    project: Project,
    issueNumber: number
  ): Promise<IntakeOutcome> {
    const item = await WorkItem.query({ client: trx })
      .where('projectId', project.id)
      .where('externalRef', externalRefOf(issueNumber))
      .first()
    if (!item || item.status !== 'cancelled') return 'unchanged'
    try {
      await item.requeue('system', null, null, {
        client: trx,
        reason: `GitHub issue #${issueNumber} was reopened`,
      })
    } catch (error) {
      // Cancelled meanwhile by someone else, or its run has not yet stopped: left as it is.
      if (error instanceof InvalidTransition) return 'unchanged'
      throw error
    }
    return 'reopened'
  }

  static async #unlistedItems(project: Project, listed: Set<number>) {
    const items = await WorkItem.query()
      .where('projectId', project.id)
      .where('source', 'github')
      .whereLike('externalRef', 'github:issue:%')
      .whereNotIn('status', ['completed', 'failed', 'cancelled'])
      .orderBy('id')
    return items.filter((item) => !listed.has(Number(item.externalRef!.split(':')[2])))
  }
}

/** Each page of a listing, through the client so that failures are classified and recorded. */
async function* pageByPage<T>(client: GitHubClient, pages: AsyncIterable<T>): AsyncGenerator<T> {
  const iterator = pages[Symbol.asyncIterator]()
  while (true) {
    const next = await client.call(async () => {
      try {
        return await iterator.next()
      } catch (error) {
        // GitHub answers 404 for a private repository the token cannot see: a broken connection, not a missing issue.
        if (error instanceof RequestError && error.status === 404) {
          throw new GitHubFailure(
            'token_rejected',
            `GitHub shows no repository ${client.owner}/${client.repo} to this token (404).`,
            404
          )
        }
        throw error
      }
    })
    if (next.done) return
    yield next.value
  }
}

function lastPageOf(link: string | undefined): number | null {
  const match = link?.match(/[?&]page=(\d+)[^>]*>;\s*rel="last"/)
  return match ? Number(match[1]) : null
}

function labelNames(issue: GitHubIssue): string[] {
  return (issue.labels ?? [])
    .map((label) => (typeof label === 'string' ? label : label.name))
    .filter((name): name is string => Boolean(name))
}

function itemFields(issue: GitHubIssue, labels: string[]) {
  const priorities = labels
    .filter((name) => name in PRIORITY_LABELS)
    .map((name) => PRIORITY_LABELS[name])
  const typeLabel = labels.find((name) => /^type:.+/.test(name))
  return {
    title: issue.title.slice(0, 500),
    externalUrl: issue.html_url,
    priority: priorities.length ? Math.max(...priorities) : 0,
    workType: typeLabel ? typeLabel.slice('type:'.length).slice(0, 64) : DEFAULT_WORK_TYPE,
    payload: { issue_number: issue.number, title: issue.title, body: issue.body ?? '', labels },
  }
}
