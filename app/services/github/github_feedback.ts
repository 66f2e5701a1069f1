import type GitHubClient from '#services/github/github_client'
import type { ChangeRequest, FailingCheck, GitHubFeedback } from '#models/run'

export type { FailingCheck, ChangeRequest, GitHubFeedback }

/** Check-run conclusions that count as passing (as in GitHubFacts). */
const PASSING_CONCLUSIONS = new Set(['success', 'neutral', 'skipped'])
/** Bounds on what one attempt keeps: the agent needs the first failures, not every one. */
export const MAX_ANNOTATIONS = 50
const MAX_CHECKS = 20
const MAX_REVIEWS = 10
const MAX_COMMENTS_PER_REVIEW = 50

/**
 * Reads the details behind a rejection from GitHub (docs/github.md lists the endpoints): the
 * failing check runs of the head commit with their output and annotations, failing commit
 * statuses, and the pull request's change requests with their inline comments. Only failing
 * checks and change requests cost extra calls, so a green run costs two list calls.
 */
export default class GitHubFeedbackReader {
  static async read(
    client: GitHubClient,
    target: { headSha: string | null; prNumber: number | null }
  ): Promise<GitHubFeedback> {
    const [checks, reviews] = await Promise.all([
      target.headSha ? this.#failingChecks(client, target.headSha) : [],
      target.prNumber ? this.#changeRequests(client, target.prNumber) : [],
    ])
    return { checks, reviews }
  }

  static async #failingChecks(client: GitHubClient, ref: string): Promise<FailingCheck[]> {
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
    const latest = new Map<string, (typeof checkRuns)[number]>()
    for (const run of checkRuns) {
      const seen = latest.get(run.name)
      if (!seen || run.id > seen.id) latest.set(run.name, run)
    }
    const failing = [...latest.values()]
      .filter((run) => run.status === 'completed' && !PASSING_CONCLUSIONS.has(run.conclusion ?? ''))
      .slice(0, MAX_CHECKS)

    let annotationsLeft = MAX_ANNOTATIONS
    const checks: FailingCheck[] = []
    for (const run of failing) {
      let annotations: FailingCheck['annotations'] = []
      if (annotationsLeft > 0 && (run.output?.annotations_count ?? 0) > 0) {
        const listed = await client.call((octokit) =>
          octokit.rest.checks.listAnnotations({
            owner,
            repo,
            check_run_id: run.id,
            per_page: Math.min(annotationsLeft, 100),
          })
        )
        annotations = listed.data.slice(0, annotationsLeft).map((annotation) => ({
          path: annotation.path,
          line: annotation.start_line ?? null,
          message: annotation.message ?? '',
        }))
        annotationsLeft -= annotations.length
      }
      checks.push({
        name: run.name,
        conclusion: run.conclusion ?? 'unknown',
        details_url: run.details_url ?? run.html_url ?? null,
        title: run.output?.title ?? null,
        summary: run.output?.summary ?? null,
        annotations,
      })
    }

    // Newest first: the first status per context is its current state.
    const seenContexts = new Set<string>()
    for (const status of statuses) {
      if (seenContexts.has(status.context)) continue
      seenContexts.add(status.context)
      if (status.state !== 'failure' && status.state !== 'error') continue
      if (latest.has(status.context) || checks.length >= MAX_CHECKS) continue
      checks.push({
        name: status.context,
        conclusion: status.state,
        details_url: status.target_url ?? null,
        title: status.description ?? null,
        summary: null,
        annotations: [],
      })
    }
    return checks
  }

  static async #changeRequests(client: GitHubClient, pullNumber: number) {
    const { owner, repo } = client
    const reviews = await client.call((octokit) =>
      octokit.paginate(octokit.rest.pulls.listReviews, {
        owner,
        repo,
        pull_number: pullNumber,
        per_page: 100,
      })
    )
    // A reviewer's latest deciding review says whether they still ask for changes.
    const latest = new Map<string, (typeof reviews)[number]>()
    for (const review of reviews) {
      if (review.state === 'COMMENTED' || review.state === 'PENDING') continue
      latest.set(review.user?.login ?? `#${review.id}`, review)
    }
    const asking = [...latest.values()]
      .filter((review) => review.state === 'CHANGES_REQUESTED')
      .reverse()
      .slice(0, MAX_REVIEWS)
    const requests: ChangeRequest[] = []
    for (const review of asking) {
      const comments = await client.call((octokit) =>
        octokit.rest.pulls.listCommentsForReview({
          owner,
          repo,
          pull_number: pullNumber,
          review_id: review.id,
          per_page: MAX_COMMENTS_PER_REVIEW,
        })
      )
      requests.push({
        reviewer: review.user?.login ?? null,
        body: review.body || null,
        submitted_at: review.submitted_at ?? null,
        comments: comments.data.map((comment: any) => ({
          body: comment.body,
          path: comment.path,
          line: comment.line ?? comment.original_line ?? null,
        })),
      })
    }
    return requests
  }
}
