import type { AcceptGate } from '#services/runs/gates/accept_gate'

/**
 * `max_cost_usd`: the run cost no more than the project's limit. A run without a reported
 * cost fails: an unmetered run cannot be shown to be under budget.
 */
export const maxCostGate: AcceptGate = {
  name: 'max_cost_usd',

  appliesTo(project) {
    const limit = project.gatesConfig?.max_cost_usd
    return typeof limit === 'number'
  },

  evaluate(run, { project }) {
    const limit = project.gatesConfig.max_cost_usd as number
    if (typeof run.costs?.usd !== 'number') {
      return { gate: this.name, verdict: 'failed', reason: 'the agent reported no cost' }
    }
    const cost = Number(run.costUsd)
    if (cost > limit) {
      return {
        gate: this.name,
        verdict: 'failed',
        reason: `cost $${cost} exceeds the limit of $${limit}`,
      }
    }
    return {
      gate: this.name,
      verdict: 'passed',
      reason: `cost $${cost} is within the limit of $${limit}`,
    }
  },
}
