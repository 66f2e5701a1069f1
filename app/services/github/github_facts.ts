import type GitHubClient from '#services/github/github_client'

/** One named check's state on a commit: from a check run (by name) or a commit status (by context). */
export type CheckState = 'success' | 'failure' | 'pending'
export type CommitChecks = Map<string, { state: CheckState; detail: string }>

/** One current check of a commit: a check run (latest per name) or a commit status (newest per context). */
export type CheckFact = {
  kind: 'check_run' | 'status'
  /** GitHub's id: a check run's annotations are read by it. */
  id: number
  name: string
  state: CheckState
  detail: string
  /** The check run's conclusion or the status's state, as GitHub says it. */
  conclusion: string | null
  url: string | null
}

/** By name; a name present both as a check run and a status counts the worse of the two. */
export function checksByName(facts: CheckFact[]): CommitChecks {
  const checks: CommitChecks = new Map()
  for (const fact of facts) {
    const existing = checks.get(fact.name)
    if (!existing || rank(fact.state) > rank(existing.state))
      checks.set(fact.name, { state: fact.state, detail: fact.detail })
  }
  return checks
}

/** Check-run conclusions that count as passing, as GitHub's branch protection counts them. */
const PASSING_CONCLUSIONS = new Set(['success', 'neutral', 'skipped'])

/**
 * The facts accept gates and the default_branch_green claim gate are judged on, read from
 * GitHub (docs/github.md lists the endpoints). Webhooks only say "look again": the answer is
 * always what GitHub says now, so a missed or reordered webhook cannot mislead a gate.
 */
export default class GitHubFacts {
  /**
   * Every check of a commit (SHA or branch): check runs (the latest per name) and commit
   * statuses (the latest per context). A name present as both counts the worse of the two.
   */
  static async checksOn(client: GitHubClient, ref: string): Promise<CommitChecks> {
    return checksByName(await this.checkList(client, ref))
  }

  /**
   * The current checks of a commit, one entry per check-run name (the latest run) and per
   * status context (the newest status), with GitHub's ids for whoever wants their details.
   */
  static async checkList(client: GitHubClient, ref: string): Promise<CheckFact[]> {
    const { owner, repo } = client
    const [checkRuns, statuses] = await client.call((octokit) =>
      Promise.all([
        octokit.paginate(octokit.rest.checks.listForRef, { owner, repo, ref, per_page: 100 }),
        octokit.paginate(octokit.rest.repos.listCommitStatusesForRef, {
          owner,
          repo,
          ref,
          per_page: 100,
        }),
      ])
    )
    const facts: CheckFact[] = []
    const latestRuns = new Map<string, (typeof checkRuns)[number]>()
    for (const run of checkRuns) {
      const seen = latestRuns.get(run.name)
      if (!seen || run.id > seen.id) latestRuns.set(run.name, run)
    }
    for (const run of latestRuns.values()) {
      const state: CheckState =
        run.status !== 'completed'
          ? 'pending'
          : PASSING_CONCLUSIONS.has(run.conclusion ?? '')
            ? 'success'
            : 'failure'
      facts.push({
        kind: 'check_run',
        id: run.id,
        name: run.name,
        state,
        detail: `check run ${run.status === 'completed' ? run.conclusion : run.status}`,
        conclusion: run.conclusion ?? null,
        url: run.html_url ?? null,
      })
    }
    // GitHub lists statuses newest first: the first one per context is its current state.
    const seenContexts = new Set<string>()
    for (const status of statuses) {
      if (seenContexts.has(status.context)) continue
      seenContexts.add(status.context)
      const state: CheckState =
        status.state === 'success' ? 'success' : status.state === 'pending' ? 'pending' : 'failure'
      facts.push({
        kind: 'status',
        id: status.id,
        name: status.context,
        state,
        detail: `status ${status.state}`,
        conclusion: status.state,
        url: status.target_url ?? null,
      })
    }
    return facts
  }

  /** Approving reviewers of a pull request: the latest deciding review of each reviewer is APPROVED. */
  static async approvers(client: GitHubClient, pullNumber: number): Promise<string[]> {
    const { owner, repo } = client
    const reviews = await client.call((octokit) =>
      octokit.paginate(octokit.rest.pulls.listReviews, {
        owner,
        repo,
        pull_number: pullNumber,
        per_page: 100,
      })
    )
    // Reviews come oldest first; a comment does not undo an approval, a dismissal or a change request does.
    const decisions = new Map<string, string>()
    for (const review of reviews) {
      const login = review.user?.login
      if (!login || review.state === 'COMMENTED' || review.state === 'PENDING') continue
      decisions.set(login, review.state)
    }
    return [...decisions].filter(([, state]) => state === 'APPROVED').map(([login]) => login)
  }

  /**
   * The default branch's combined state: failing if any check fails, passing if all of at
   * least one succeeded, null while checks are still running (the previous state stands).
   */
  static async branchState(
    client: GitHubClient,
    branch: string
  ): Promise<'passing' | 'failing' | 'unknown' | null> {
    const byName = await this.checksOn(client, branch)
    const checks = [...byName.values()]
    if (checks.length === 0) return 'unknown'
    if (checks.some((check) => check.state === 'failure')) return 'failing'
    if (checks.every((check) => check.state === 'success')) return 'passing'
    return null
  }
}

function rank(state: CheckState) {
  return state === 'failure' ? 2 : state === 'pending' ? 1 : 0
}
