import type Project from '#models/project'
import type Run from '#models/run'
import type { GateVerdict } from '#models/run'
import {
  PULL_REQUEST_FACTS,
  type AcceptGate,
  type GateContext,
  type GateFacts,
  type GateReasonCode,
} from '#services/runs/gates/accept_gate'
import type { PullRequestFacts } from '#services/github/pull_request_facts'
import { issueNumberOf } from '#services/github/github_report'

/** The pull request number a run reported: `pr_number`, else the number in `pr_url`. */
export function pullNumberOf(run: Pick<Run, 'prNumber' | 'prUrl'>): number | null {
  if (run.prNumber) return run.prNumber
  const match = run.prUrl?.match(/\/pull\/(\d+)(?:[/?#]|$)/)
  return match ? Number(match[1]) : null
}

/** `owner/repo` of a reported PR URL (github.com or an Enterprise host), or null. */
function repositoryOfUrl(url: string | null): string | null {
  const match = url?.match(/^https?:\/\/[^/]+\/(?:api\/v3\/repos\/)?([^/]+\/[^/]+)\/pulls?\/\d+/)
  return match ? match[1] : null
}

/** Gates that need a pull request to judge anything: without one they fail. */
function projectNeedsPullRequest(project: Project) {
  const checks = project.gatesConfig?.required_checks
  const approvals = project.gatesConfig?.min_approvals
  return (
    (Array.isArray(checks) && checks.length > 0) ||
    (typeof approvals === 'number' && approvals >= 1) ||
    (Boolean(project.githubTokenSecretName) && project.e2ERequired)
  )
}

const sameRepo = (a: string | null, b: string) => a?.toLowerCase() === b.toLowerCase()

/**
 * The pull request a GitHub gate judges, or the verdict to give when there is none to judge:
 * no PR reported, PR not found on GitHub, GitHub unavailable.
 */
export function judgedPullRequest(
  gate: string,
  run: Run,
  context: GateContext
): PullRequestFacts | GateVerdict {
  const number = pullNumberOf(run)
  if (number === null)
    return {
      gate,
      verdict: 'failed',
      code: 'pr_missing',
      reason: 'the agent reported no pull request',
    }
  const found = context.facts?.get(PULL_REQUEST_FACTS) as GateFacts | undefined
  if (!found) return { gate, verdict: 'pending', reason: 'checking GitHub' }
  if (!found.ok && found.notFound)
    return {
      gate,
      verdict: 'failed',
      code: 'pr_not_found',
      reason: `pull request #${number} does not exist on ${context.project.repoFullName}`,
    }
  if (!found.ok)
    return {
      gate,
      verdict: 'pending',
      code: 'github_unavailable',
      reason: `GitHub facts unavailable: ${found.reason}`,
    }
  return found.value as PullRequestFacts
}

export function isVerdict(value: PullRequestFacts | GateVerdict): value is GateVerdict {
  return 'verdict' in value
}

/** Does the PR's title or body name the issue (`#N`, `Fixes #N`, `owner/repo#N`, its URL)? */
function referencesIssue(pull: PullRequestFacts, issue: number, repoFullName: string) {
  const text = `${pull.title}\n${pull.body ?? ''}`
  const repo = repoFullName.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
  const patterns = [
    new RegExp(`(^|[^\\w/#])#${issue}(?!\\d)`, 'm'),
    new RegExp(`(^|[^\\w/])${repo}#${issue}(?!\\d)`, 'im'),
    new RegExp(`/${repo}/issues/${issue}(?!\\d)`, 'i'),
  ]
  return patterns.some((pattern) => pattern.test(text))
}

type Problem = { code: GateReasonCode; reason: string }

/**
 * `pull_request`: the PR the agent reported is real and is this work's PR, judged on what
 * GitHub says (never on the agent's report): on the project's repository (its head branch
 * too), based on the default branch, open or merged, its head branch the run's branch, naming
 * the item's issue, backing no other item, opened or updated after the run started, and the
 * agent's reported head SHA is its current head. Applies to every project connected to GitHub.
 */
export const pullRequestGate: AcceptGate = {
  name: 'pull_request',
  usesPullRequest: true,

  appliesTo(project) {
    return Boolean(project.githubTokenSecretName) || projectNeedsPullRequest(project)
  },

  async evaluate(run, context) {
    const { project } = context
    if (pullNumberOf(run) === null && !projectNeedsPullRequest(project))
      return { gate: this.name, verdict: 'passed', reason: 'no pull request reported' }
    const reportedRepo = repositoryOfUrl(run.prUrl)
    if (reportedRepo && !sameRepo(reportedRepo, project.repoFullName))
      return {
        gate: this.name,
        verdict: 'failed',
        code: 'wrong_repo',
        reason: `the reported pull request is on ${reportedRepo}, not ${project.repoFullName}`,
      }
    const pull = judgedPullRequest(this.name, run, context)
    if (isVerdict(pull)) return pull

    const problems: Problem[] = []
    if (!sameRepo(pull.base.repo, project.repoFullName))
      problems.push({
        code: 'wrong_repo',
        reason: `the pull request is on ${pull.base.repo ?? 'an unknown repository'}`,
      })
    if (!sameRepo(pull.head.repo, project.repoFullName))
      problems.push({
        code: 'wrong_repo',
        reason: `its head branch is in ${pull.head.repo ?? 'a deleted repository'}, not ${project.repoFullName}`,
      })
    if (pull.base.ref !== project.repoDefaultBranch)
      problems.push({
        code: 'wrong_base',
        reason: `its base is ${pull.base.ref}, not the default branch ${project.repoDefaultBranch}`,
      })
    if (pull.state === 'closed' && !pull.merged)
      problems.push({ code: 'pr_closed', reason: 'it was closed without being merged' })
    if (!run.branchName)
      problems.push({ code: 'pr_not_linked', reason: 'the run reported no branch' })
    else if (pull.head.ref !== run.branchName)
      problems.push({
        code: 'pr_not_linked',
        reason: `its head branch is ${pull.head.ref}, the run reported ${run.branchName}`,
      })
    const issue = issueNumberOf(context.item)
    if (issue !== null && !referencesIssue(pull, issue, project.repoFullName))
      problems.push({
        code: 'pr_not_linked',
        reason: `neither its title nor its body references issue #${issue}`,
      })
    const reused = await acceptedElsewhere(run, pull.number, context)
    if (reused)
      problems.push({
        code: 'pr_reused',
        reason: `it already backs work item #${reused.work_item_id} (run #${reused.id} accepted)`,
      })
    if (new Date(pull.updated_at).getTime() < run.startedAt.toMillis())
      problems.push({
        code: 'pr_stale',
        reason: `it was last updated ${pull.updated_at}, before the run started`,
      })
    // Checked until Gatehouse first judged a head: later heads come from pushes it was told of.
    if (run.headSha && !run.judgedHeadSha && run.headSha !== pull.head.sha)
      problems.push({
        code: 'stale_sha',
        reason: `the reported head ${run.headSha.slice(0, 7)} is not the PR's head ${pull.head.sha.slice(0, 7)}`,
      })

    const described = `#${pull.number} ${pull.head.ref} @ ${pull.head.sha.slice(0, 7)}`
    if (problems.length === 0)
      return { gate: this.name, verdict: 'passed', reason: `${described} belongs to this item` }
    return {
      gate: this.name,
      verdict: 'failed',
      code: problems[0].code,
      reason: problems.map((problem) => `${problem.code}: ${problem.reason}`).join('; '),
    }
  },
}

/** Another item's accepted run on the same pull request of the same repository. */
async function acceptedElsewhere(run: Run, pullNumber: number, { client, project }: GateContext) {
  return client
    .from('runs')
    .join('projects', 'projects.id', 'runs.project_id')
    .where('runs.pr_number', pullNumber)
    .where('runs.gate_status', 'passed')
    .whereNot('runs.work_item_id', run.workItemId)
    .whereRaw('lower(projects.repo_full_name) = lower(?)', [project.repoFullName])
    .select('runs.id', 'runs.work_item_id')
    .first()
}
