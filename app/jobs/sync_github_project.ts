import vine from '@vinejs/vine'
import Project from '#models/project'
import GitHubSync from '#services/github/github_sync'

const syncProjectPayload = vine.create({ projectId: vine.number().withoutDecimals().min(1) })

/**
 * Reconciles one project with GitHub. GitHub's refusals are recorded on the project and end
 * the job (the next cron tick tries again): a broken token never makes a retry loop.
 */
export default async function syncGitHubProject(payload: unknown) {
  const { projectId } = await syncProjectPayload.validate(payload)
  const project = await Project.find(projectId)
  if (project) await GitHubSync.syncProject(project)
}
