import env from '#start/env'

/**
 * How Gatehouse talks to GitHub. Retries are short on purpose: a request that still fails
 * after them fails its job, and graphile-worker retries the job later with its own backoff.
 */
const githubConfig = {
  /** GitHub Enterprise: https://<host>/api/v3; tests point it at the fake GitHub. */
  apiUrl: env.get('GITHUB_API_URL') ?? 'https://api.github.com',
  /** Octokit's retry plugin: attempts after a 5xx, waiting retryCount² × retryAfterBaseMs. */
  retries: 2,
  retryAfterBaseMs: 1000,
  /** A GitHub call that has not answered by then is abandoned (and counts as GitHub unreachable). */
  requestTimeoutMs: 30_000,
  /** A rate limit that resets sooner than this is waited out once in-process; later ones fail the job. */
  maxRateLimitWaitSeconds: 60,
}

export default githubConfig
