import type { AcceptGate } from '#services/runs/gates/accept_gate'

/** `human_review`: a reviewer approved the run in the admin pages (pending until one decides). */
export const humanReviewGate: AcceptGate = {
  name: 'human_review',

  appliesTo(project) {
    return project.gatesConfig?.human_review === true
  },

  evaluate(run) {
    if (run.reviewStatus === 'approved') {
      return { gate: this.name, verdict: 'passed', reason: 'approved by a reviewer' }
    }
    if (run.reviewStatus === 'rejected') {
      return { gate: this.name, verdict: 'failed', reason: 'rejected by a reviewer' }
    }
    return { gate: this.name, verdict: 'pending', reason: 'waiting for a reviewer' }
  },
}
