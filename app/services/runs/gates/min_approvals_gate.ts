import type { AcceptGate, GateFacts } from '#services/runs/gates/accept_gate'
import GitHubClient from '#services/github/github_client'
import GitHubFacts from '#services/github/github_facts'

/**
 * `min_approvals`: the run's pull request has at least N approving reviews (the latest
 * deciding review of each reviewer counts). Pending until enough reviewers approved.
 */
export const minApprovalsGate: AcceptGate = {
  name: 'min_approvals',

  appliesTo(project) {
    const minimum = project.gatesConfig?.min_approvals
    return typeof minimum === 'number' && minimum >= 1
  },

  async gatherFacts(run, project) {
    if (!run.prNumber) return null
    return GitHubFacts.approvers(await GitHubClient.forProject(project), run.prNumber)
  },

  evaluate(run, { project, facts }) {
    const minimum = project.gatesConfig.min_approvals as number
    if (!run.prNumber)
      return { gate: this.name, verdict: 'failed', reason: 'the agent reported no pull request' }
    const found = facts?.get(this.name) as GateFacts
    if (!found.ok)
      return {
        gate: this.name,
        verdict: 'pending',
        reason: `GitHub facts unavailable: ${found.reason}`,
      }
    const approvers = found.value as string[]
    const reason = `${approvers.length} of ${minimum} approvals${approvers.length ? ` (${approvers.join(', ')})` : ''}`
    return { gate: this.name, verdict: approvers.length >= minimum ? 'passed' : 'pending', reason }
  },
}
