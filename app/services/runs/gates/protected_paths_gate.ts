import picomatch from 'picomatch'
import type { AcceptGate } from '#services/runs/gates/accept_gate'
import {
  isVerdict,
  judgedPullRequest,
  pullNumberOf,
  pullRequestGate,
} from '#services/runs/gates/pull_request_gate'

/** Files named when the gate trips (the page and the comment stay readable). */
const NAMED_FILES = 10

/**
 * `protected_paths` (policy, globs; default the CI workflows and actions): a pull request
 * that changes such a path (a rename from or to it included) waits for a human review in the
 * admin pages even where the project does not ask for one, so an agent cannot loosen the CI
 * that judges it. An empty list turns it off.
 */
export const protectedPathsGate: AcceptGate = {
  name: 'protected_paths',
  usesPullRequest: true,

  appliesTo(project, policies) {
    return policies.protected_paths.length > 0 && pullRequestGate.appliesTo(project, policies)
  },

  evaluate(run, context) {
    if (pullNumberOf(run) === null)
      return { gate: this.name, verdict: 'passed', reason: 'no pull request reported' }
    const pull = judgedPullRequest(this.name, run, context)
    if (isVerdict(pull)) return pull

    const isProtected = picomatch(context.policies.protected_paths, { dot: true })
    const tripped = pull.files
      .flatMap((file) => [file.filename, file.previous_filename])
      .filter((path): path is string => Boolean(path) && isProtected(path!))
    // GitHub lists at most 3,000 files and Gatehouse keeps fewer: what it cannot see, a person must.
    const unseen = pull.files_total > pull.files.length
    if (tripped.length === 0 && !unseen)
      return {
        gate: this.name,
        verdict: 'passed',
        reason: `no protected path changed (${pull.files_total} files)`,
      }
    const named = [...new Set(tripped)]
    const what = named.length
      ? `changes ${named.slice(0, NAMED_FILES).join(', ')}${named.length > NAMED_FILES ? ` and ${named.length - NAMED_FILES} more` : ''}`
      : `changes ${pull.files_total} files, more than Gatehouse reads`
    if (run.reviewStatus === 'approved')
      return { gate: this.name, verdict: 'passed', reason: `${what}: approved by a reviewer` }
    if (run.reviewStatus === 'rejected')
      return {
        gate: this.name,
        verdict: 'failed',
        code: 'protected_paths',
        reason: `${what}: rejected by a reviewer`,
      }
    return {
      gate: this.name,
      verdict: 'pending',
      code: 'protected_paths',
      reason: `${what}: waiting for a human review`,
    }
  },
}
