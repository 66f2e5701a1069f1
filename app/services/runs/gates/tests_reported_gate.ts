import type { AcceptGate } from '#services/runs/gates/accept_gate'

/** `tests_reported`: the agent reported its tests, and none failed. */
export const testsReportedGate: AcceptGate = {
  name: 'tests_reported',

  appliesTo(project) {
    return project.gatesConfig?.tests_reported === true
  },

  evaluate(run) {
    const tests = run.tests
    if (!tests) return { gate: this.name, verdict: 'failed', reason: 'the agent reported no tests' }
    const summary = `${tests.passed} passed, ${tests.failed} failed, ${tests.skipped ?? 0} skipped`
    if (tests.failed > 0) return { gate: this.name, verdict: 'failed', reason: summary }
    return { gate: this.name, verdict: 'passed', reason: summary }
  },
}
