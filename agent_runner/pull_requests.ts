import { Octokit } from 'octokit'

export type PullRequestRequest = {
  repo: string
  branch: string
  base: string
  title: string
  body: string
  /** An earlier attempt's PR (the claim's `continue_from.pr_number`). */
  knownNumber?: number | null
}

export type PullRequest = { number: number; url: string; opened: boolean }

/**
 * The pull request of an item's branch, through the GitHub REST API (`GITHUB_API_URL` for
 * GitHub Enterprise and the tests' fake GitHub): the open one of the branch is updated,
 * otherwise one is opened.
 */
export default class PullRequests {
  readonly octokit: Octokit

  constructor(token: string, baseUrl: string) {
    this.octokit = new Octokit({
      auth: token,
      baseUrl: baseUrl.replace(/\/+$/, ''),
      // A hanging GitHub must not hold the run: its lease would expire meanwhile.
      request: {
        fetch: (url: string | URL, init: RequestInit = {}) =>
          fetch(url, { ...init, signal: init.signal ?? AbortSignal.timeout(30_000) }),
      },
      log: { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} },
      retry: { retries: 2 },
      // A rate limit fails the report at once rather than waiting for its reset.
      throttle: { enabled: false },
    })
  }

  async openOrUpdate(request: PullRequestRequest): Promise<PullRequest> {
    const [owner, repo] = request.repo.split('/')
    const existing = await this.#existing(owner, repo, request)
    if (existing) {
      await this.octokit.rest.pulls.update({
        owner,
        repo,
        pull_number: existing.number,
        body: request.body,
      })
      return { number: existing.number, url: existing.html_url, opened: false }
    }
    const { data } = await this.octokit.rest.pulls.create({
      owner,
      repo,
      head: request.branch,
      base: request.base,
      title: request.title,
      body: request.body,
    })
    return { number: data.number, url: data.html_url, opened: true }
  }

  async #existing(owner: string, repo: string, request: PullRequestRequest) {
    if (request.knownNumber) {
      try {
        const { data } = await this.octokit.rest.pulls.get({
          owner,
          repo,
          pull_number: request.knownNumber,
        })
        if (data.state === 'open' && data.head.ref === request.branch) return data
      } catch (error) {
        if ((error as { status?: number }).status !== 404) throw error
      }
    }
    const { data } = await this.octokit.rest.pulls.list({
      owner,
      repo,
      head: `${owner}:${request.branch}`,
      state: 'open',
      per_page: 1,
    })
    return data[0] ?? null
  }
}
