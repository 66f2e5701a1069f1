import { createRequire } from 'node:module'

/**
 * Templates for the fake GitHub's answers and the webhook payloads of the tests: payloads
 * GitHub really sent, recorded by @octokit/fixtures (REST answers) and
 * @octokit/webhooks-examples (webhooks). Each call returns a fresh deep copy.
 */
const require = createRequire(import.meta.url)

type Recorded = { method: string; path: string; status: number; response: any }
const fixture = (scenario: string): Recorded[] =>
  require(`@octokit/fixtures/scenarios/api.github.com/${scenario}/normalized-fixture.json`)

type WebhookExamples = { name: string; examples: any[] }[]
const webhookExamples: WebhookExamples = require('@octokit/webhooks-examples/api.github.com/index.json')

const copy = <T>(value: T): T => structuredClone(value)

/** GET /repos/{owner}/{repo}/issues: one issue of the list. */
export const recordedIssue = () => copy(fixture('paginate-issues')[0].response[0])

/** POST /repos/{owner}/{repo}/issues/{n}/labels: labels as GitHub lists them. */
export const recordedLabel = () => copy(fixture('add-labels-to-issue')[1].response[0])

/** GET /repos/{owner}/{repo}/commits/{ref}/statuses: one commit status. */
export const recordedStatus = () => copy(fixture('create-status')[0].response)

/** The response headers GitHub sends with every REST answer (rate limit headers included). */
export const recordedHeaders = () =>
  copy(fixture('create-status')[0] as any).headers as Record<string, string>

/** Webhook payloads of one event, optionally of one action. */
export function webhookExample(event: string, action?: string, index = 0): any {
  const examples = webhookExamples.find((entry) => entry.name === event)?.examples ?? []
  const matching =
    action === undefined ? examples : examples.filter((example) => example.action === action)
  if (!matching[index])
    throw new Error(`No recorded ${event}${action ? `.${action}` : ''} webhook example #${index}`)
  return copy(matching[index])
}

/** GET /repos/{owner}/{repo}/commits/{ref}/check-runs: one check run (same object as in the check_run webhook). */
export const recordedCheckRun = () => webhookExample('check_run', 'completed').check_run

/** GET /repos/{owner}/{repo}/pulls/{n}/reviews: one review (as in the pull_request_review webhook). */
export const recordedReview = () => webhookExample('pull_request_review', 'submitted').review

/** GET/POST /repos/{owner}/{repo}/issues/{n}/comments: one comment (as in the issue_comment webhook). */
export const recordedComment = () => webhookExample('issue_comment').comment

/** POST /repos/{owner}/{repo}/statuses/{sha}: the status GitHub answers with (201). */
export const recordedCreatedStatus = () => copy(fixture('create-status')[0].response)

/** A 422 Validation Failed answer, as GitHub words it. */
export const recordedValidationFailed = () => copy(fixture('errors')[0].response)
/** GET/POST/PATCH /repos/{owner}/{repo}/pulls[/{n}]: one pull request (as in the pull_request webhook). */
export const recordedPullRequest = () => webhookExample('pull_request', 'opened').pull_request
