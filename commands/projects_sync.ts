import { BaseCommand, args } from '@adonisjs/core/ace'
import type { CommandOptions } from '@adonisjs/core/types/ace'

/** `projects:sync [slug]`: the periodic GitHub sync (issue intake, default branch state), now. */
export default class ProjectsSync extends BaseCommand {
  static commandName = 'projects:sync'
  static description =
    'Take in labelled GitHub issues as work items and refresh the default branch state'
  static options: CommandOptions = { startApp: true }

  @args.string({
    description: 'Project slug (every project connected to GitHub when omitted)',
    required: false,
  })
  declare slug?: string

  async run() {
    const { default: Project } = await import('#models/project')
    const { default: GitHubSync } = await import('#services/github/github_sync')

    const projects = this.slug
      ? await Project.query().where('slug', this.slug)
      : await GitHubSync.syncableProjects()
    if (this.slug && projects.length === 0) return this.#fail(`no project with slug "${this.slug}"`)
    if (projects.length === 0) {
      this.logger.info('No project is connected to GitHub (none names a github_token_secret_name)')
      return
    }

    const failures: string[] = []
    for (const project of projects) {
      // One task list per project: a failing project does not stop the others.
      const tasks = this.ui.tasks()
      tasks.add(`Sync ${project.slug} (${project.repoFullName})`, async (task) => {
        const result = await GitHubSync.syncProject(project, ({ page, lastPage, issues }) => {
          task.update(
            `${progressBar(page, lastPage)} page ${page} of ${lastPage ?? '?'}, ${issues} issue(s)`
          )
        })
        if (!result.ok) {
          failures.push(`${project.slug}: ${result.failure.message}`)
          return task.error(result.failure.message)
        }
        const { created, updated, unchanged, cancelled } = result.intake
        return `${created} created, ${updated} updated, ${unchanged} unchanged, ${cancelled} cancelled; default branch ${result.defaultBranchStatus}`
      })
      await tasks.run()
    }
    if (failures.length > 0) this.#fail(failures.join('; '))
  }

  #fail(reason: string) {
    this.logger.error(reason)
    this.exitCode = 1
  }
}

function progressBar(done: number, total: number | null, width = 20) {
  const filled = total ? Math.round((Math.min(done, total) / total) * width) : 0
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}]`
}
