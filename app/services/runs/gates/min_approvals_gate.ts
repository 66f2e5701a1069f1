import type { AcceptGate } from '#services/runs/gates/accept_gate'
import { isVerdict, judgedPullRequest } from '#services/runs/gates/pull_request_gate'
import type { ReviewFact } from '#services/github/pull_request_facts'

/** Reviews that decide: a comment does not undo an approval; a change request or dismissal does. */
const DECIDING = new Set(['APPROVED', 'CHANGES_REQUESTED', 'DISMISSED'])

/**
 * `min_approvals`: the run's pull request has at least N approvals of its current head. Only
 * the latest deciding review of each reviewer counts, only when it reviewed the head commit
 * (an approval of an earlier commit is stale), and never one by the agent's own GitHub login:
 * an agent approving its own work fails the gate (`self_approval`).
 */
export const minApprovalsGate: AcceptGate = {
  name: 'min_approvals',
  usesPullRequest: true,

  appliesTo(project) {
    const minimum = project.gatesConfig?.min_approvals
    return typeof minimum === 'number' && minimum >= 1
  },

  evaluate(run, context) {
    const minimum = context.project.gatesConfig.min_approvals as number
    const pull = judgedPullRequest(this.name, run, context)
    if (isVerdict(pull)) return pull

    // Reviews come oldest first: the last deciding one of each reviewer is their decision.
    const latest = new Map<string, ReviewFact>()
    for (const review of pull.reviews) {
      if (review.login && DECIDING.has(review.state)) latest.set(review.login, review)
    }
    const ownLogin = context.agent?.githubLogin?.toLowerCase() ?? null
    const approvals = [...latest.values()].filter((review) => review.state === 'APPROVED')
    const own = approvals.filter((review) => review.login!.toLowerCase() === ownLogin)
    const stale = approvals.filter(
      (review) => !own.includes(review) && review.commit_id !== pull.head.sha
    )
    const counted = approvals.filter((review) => !own.includes(review) && !stale.includes(review))

    const head = pull.head.sha.slice(0, 7)
    const names = counted.map((review) => review.login).join(', ')
    let reason = `${counted.length} of ${minimum} approvals of ${head}${names ? ` (${names})` : ''}`
    if (stale.length)
      reason += `; stale approvals of older commits not counted: ${stale.map((review) => review.login).join(', ')}`
    if (own.length)
      return {
        gate: this.name,
        verdict: 'failed',
        code: 'self_approval',
        reason: `approved by the agent's own GitHub login ${own[0].login}, which never counts; ${reason}`,
      }
    if (counted.length >= minimum) return { gate: this.name, verdict: 'passed', reason }
    return {
      gate: this.name,
      verdict: 'pending',
      code: stale.length ? 'stale_approval' : 'approvals_missing',
      reason,
    }
  },
}
