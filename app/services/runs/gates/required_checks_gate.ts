import type Project from '#models/project'
import type { AcceptGate } from '#services/runs/gates/accept_gate'
import { checksByName } from '#services/github/github_facts'
import { isVerdict, judgedPullRequest } from '#services/runs/gates/pull_request_gate'

/** The e2e check's name when the project does not name it (gates_config.e2e_check_name). */
export const DEFAULT_E2E_CHECK_NAME = 'e2e'

/** The checks a project requires: gates_config.required_checks, plus its e2e check when e2e_required. */
export function requiredCheckNames(project: Project): string[] {
  const named = Array.isArray(project.gatesConfig?.required_checks)
    ? project.gatesConfig.required_checks
    : []
  const e2e = project.e2ERequired
    ? [project.gatesConfig?.e2e_check_name || DEFAULT_E2E_CHECK_NAME]
    : []
  return [...new Set([...named, ...e2e])]
}

/**
 * `required_checks` (with the e2e check of `e2e_required`): every required check run or commit
 * status succeeded on the current head of the run's pull request, as GitHub reports it (never
 * the SHA the agent reported: a green older commit proves nothing). Named checks always apply
 * (without a token they wait and time out, never pass unchecked); the e2e check of
 * `e2e_required` (default true) only for projects connected to GitHub (a token is named).
 */
export const requiredChecksGate: AcceptGate = {
  name: 'required_checks',
  usesPullRequest: true,

  appliesTo(project) {
    const named =
      Array.isArray(project.gatesConfig?.required_checks) &&
      project.gatesConfig.required_checks.length > 0
    return (
      named || (Boolean(project.githubTokenSecretName) && requiredCheckNames(project).length > 0)
    )
  },

  evaluate(run, context) {
    const pull = judgedPullRequest(this.name, run, context)
    if (isVerdict(pull)) return pull
    const checks = checksByName(pull.checks)
    const states = requiredCheckNames(context.project).map((name) => ({
      name,
      check: checks.get(name),
    }))
    const described = states
      .map(({ name, check }) => `${name}: ${check ? check.detail : 'not reported yet'}`)
      .join('; ')
    const reason = `${described} (on ${pull.head.sha.slice(0, 7)})`
    if (states.some(({ check }) => check?.state === 'failure'))
      return { gate: this.name, verdict: 'failed', code: 'checks_failed', reason }
    if (states.every(({ check }) => check?.state === 'success'))
      return { gate: this.name, verdict: 'passed', reason }
    return { gate: this.name, verdict: 'pending', code: 'checks_pending', reason }
  },
}
