import type Project from '#models/project'
import type { AcceptGate, GateFacts } from '#services/runs/gates/accept_gate'
import GitHubClient from '#services/github/github_client'
import GitHubFacts, { type CommitChecks } from '#services/github/github_facts'

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
 * status succeeded on the run's head SHA. Named checks always apply (without a token they wait
 * and time out, never pass unchecked); the e2e check of `e2e_required` (default true) only for
 * projects connected to GitHub (a token is named).
 */
export const requiredChecksGate: AcceptGate = {
  name: 'required_checks',

  appliesTo(project) {
    const named =
      Array.isArray(project.gatesConfig?.required_checks) &&
      project.gatesConfig.required_checks.length > 0
    return (
      named || (Boolean(project.githubTokenSecretName) && requiredCheckNames(project).length > 0)
    )
  },

  async gatherFacts(run, project) {
    if (!run.headSha) return null
    return GitHubFacts.checksOn(await GitHubClient.forProject(project), run.headSha)
  },

  evaluate(run, { project, facts }) {
    if (!run.headSha)
      return { gate: this.name, verdict: 'failed', reason: 'the agent reported no head SHA' }
    const found = facts?.get(this.name) as GateFacts
    if (!found.ok)
      return {
        gate: this.name,
        verdict: 'pending',
        reason: `GitHub facts unavailable: ${found.reason}`,
      }
    const checks = found.value as CommitChecks
    const states = requiredCheckNames(project).map((name) => ({ name, check: checks.get(name) }))
    const described = states
      .map(({ name, check }) => `${name}: ${check ? check.detail : 'not reported yet'}`)
      .join('; ')
    if (states.some(({ check }) => check?.state === 'failure'))
      return { gate: this.name, verdict: 'failed', reason: described }
    if (states.every(({ check }) => check?.state === 'success'))
      return { gate: this.name, verdict: 'passed', reason: described }
    return { gate: this.name, verdict: 'pending', reason: described }
  },
}
