import { DateTime } from 'luxon'
import db from '@adonisjs/lucid/services/db'
import Project, { type BranchStatus } from '#models/project'
import AuditEvent from '#models/audit_event'
import Claimable from '#infrastructure/claimable'
import GitHubClient from '#services/github/github_client'
import GitHubFacts from '#services/github/github_facts'

/**
 * Keeps a project's `default_branch_status` (the `default_branch_green` claim gate's fact)
 * in step with the checks of its default branch on GitHub.
 */
export default class DefaultBranchStatus {
  /** Reads the branch's checks and records a change of state (with its audit event). */
  static async refresh(project: Project): Promise<BranchStatus> {
    const client = await GitHubClient.forProject(project)
    const state = await GitHubFacts.branchState(client, project.repoDefaultBranch)
    // Checks still running: the last known state stands until they finish.
    if (state === null) return project.defaultBranchStatus
    return this.record(project.id, state)
  }

  static async record(projectId: number, status: BranchStatus): Promise<BranchStatus> {
    return db.transaction(async (trx) => {
      const project = await Project.query({ client: trx })
        .where('id', projectId)
        .forUpdate()
        .firstOrFail()
      const previous = project.defaultBranchStatus
      if (previous === status) return status
      project.merge({ defaultBranchStatus: status, defaultBranchStatusAt: DateTime.now() })
      await project.save()
      await AuditEvent.record(trx, {
        actor: 'system',
        action: 'project.default_branch_status_changed',
        subject: project,
        details: { branch: project.repoDefaultBranch, from: previous, to: status },
      })
      // Leaving `failing` reopens the default_branch_green gate to every work type.
      if (previous === 'failing') await Claimable.announce(trx, project.id)
      return status
    })
  }
}
