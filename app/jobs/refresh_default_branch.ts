import vine from '@vinejs/vine'
import Project from '#models/project'
import DefaultBranchStatus from '#services/github/default_branch_status'
import { GitHubFailure } from '#services/github/github_client'

const refreshPayload = vine.create({ projectId: vine.number().withoutDecimals().min(1) })

/** Re-reads the default branch's checks after a webhook about them; transient failures are retried. */
export default async function refreshDefaultBranch(payload: unknown) {
  const { projectId } = await refreshPayload.validate(payload)
  const project = await Project.find(projectId)
  if (!project) return
  try {
    await DefaultBranchStatus.refresh(project)
  } catch (error) {
    // A token problem is recorded on the project; retrying cannot fix it.
    if (error instanceof GitHubFailure && !error.isTransient) return
    throw error
  }
}
