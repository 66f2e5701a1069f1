import type { AcceptGate } from '#services/runs/gates/accept_gate'
import { testsReportedGate } from '#services/runs/gates/tests_reported_gate'
import { maxCostGate } from '#services/runs/gates/max_cost_gate'
import { humanReviewGate } from '#services/runs/gates/human_review_gate'
import { requiredChecksGate } from '#services/runs/gates/required_checks_gate'
import { minApprovalsGate } from '#services/runs/gates/min_approvals_gate'
import { pullRequestGate } from '#services/runs/gates/pull_request_gate'
import { protectedPathsGate } from '#services/runs/gates/protected_paths_gate'

/** Every accept gate, in the order their verdicts are shown. A new gate is one file under app/services/gates and one entry here. */
export const acceptGates: AcceptGate[] = [
  testsReportedGate,
  maxCostGate,
  humanReviewGate,
  pullRequestGate,
  requiredChecksGate,
  minApprovalsGate,
  protectedPathsGate,
]
