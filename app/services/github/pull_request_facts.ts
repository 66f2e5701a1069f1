import type GitHubClient from '#services/github/github_client'
import GitHubFacts, { type CheckFact } from '#services/github/github_facts'

/** Files kept in the stored facts; a larger pull request keeps its count (`files_total`). */
const STORED_FILES = 300
/** Review bodies are kept for feedback, up to this length. */
const STORED_REVIEW_BODY = 2000

export type PullRequestFile = { filename: string; status: string; previous_filename?: string }

export type ReviewFact = {
  id: number
  login: string | null
  state: string
  /** The commit the reviewer looked at: a review of an older commit is stale. */
  commit_id: string | null
  submitted_at: string | null
  body: string | null
}

/**
 * What GitHub says about a run's pull request, fetched by Gatehouse itself (never taken from
 * the agent). Stored on the run's `pull_request` gate verdict (`gate_results[].facts`) so that
 * the page, the comment and later features (feedback from failed checks and reviews) read the
 * same facts the gates judged.
 */
export type PullRequestFacts = {
  number: number
  html_url: string
  state: 'open' | 'closed'
  merged: boolean
  title: string
  body: string | null
  created_at: string
  updated_at: string
  /** base.repo is the repository the PR is on; head.repo where its branch lives (null: a deleted fork). */
  base: { ref: string; repo: string | null }
  head: { ref: string; sha: string; repo: string | null }
  /** Up to STORED_FILES changed files (renames keep their old name). */
  files: PullRequestFile[]
  files_total: number
  /** Check runs and statuses of head.sha only. */
  checks: CheckFact[]
  /** Every review, oldest first. */
  reviews: ReviewFact[]
  fetched_at: string
}

/**
 * Reads a pull request and everything the gates judge about it: the PR, its files (all pages),
 * the checks of its current head and its reviews. Throws GitHubFailure (kind `not_found` for a
 * missing PR).
 */
export async function fetchPullRequestFacts(
  client: GitHubClient,
  pullNumber: number
): Promise<PullRequestFacts> {
  const { owner, repo } = client
  const { data: pull } = await client.call((octokit) =>
    octokit.rest.pulls.get({ owner, repo, pull_number: pullNumber })
  )
  const [files, reviews, checks] = await Promise.all([
    client.call((octokit) =>
      octokit.paginate(octokit.rest.pulls.listFiles, {
        owner,
        repo,
        pull_number: pullNumber,
        per_page: 100,
      })
    ),
    client.call((octokit) =>
      octokit.paginate(octokit.rest.pulls.listReviews, {
        owner,
        repo,
        pull_number: pullNumber,
        per_page: 100,
      })
    ),
    GitHubFacts.checkList(client, pull.head.sha),
  ])
  return {
    number: pull.number,
    html_url: pull.html_url,
    state: pull.state as 'open' | 'closed',
    merged: pull.merged === true || pull.merged_at !== null,
    title: pull.title,
    body: pull.body ?? null,
    created_at: pull.created_at,
    updated_at: pull.updated_at,
    base: { ref: pull.base.ref, repo: pull.base.repo?.full_name ?? null },
    head: { ref: pull.head.ref, sha: pull.head.sha, repo: pull.head.repo?.full_name ?? null },
    files: files.slice(0, STORED_FILES).map((file) => ({
      filename: file.filename,
      status: file.status,
      ...(file.previous_filename ? { previous_filename: file.previous_filename } : {}),
    })),
    files_total: Math.max(files.length, pull.changed_files ?? 0),
    checks,
    reviews: reviews.map((review) => ({
      id: review.id,
      login: review.user?.login ?? null,
      state: review.state,
      commit_id: review.commit_id ?? null,
      submitted_at: review.submitted_at ?? null,
      body: review.body ? review.body.slice(0, STORED_REVIEW_BODY) : null,
    })),
    fetched_at: new Date().toISOString(),
  }
}
