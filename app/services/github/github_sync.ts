import logger from '@adonisjs/core/services/logger'
import type { TransactionClientContract } from '@adonisjs/lucid/types/database'
import Project from '#models/project'
import JobQueue from '#infrastructure/job_queue'
import IssueIntake, { type IntakeProgress, type IntakeSummary } from '#services/github/issue_intake'
import DefaultBranchStatus from '#services/github/default_branch_status'
import { GitHubFailure } from '#services/github/github_client'

export const SYNC_PROJECT_TASK = 'sync_github_project'
export const REFRESH_DEFAULT_BRANCH_TASK = 'refresh_default_branch'

export type ProjectSyncResult =
  | { ok: true; intake: IntakeSummary; defaultBranchStatus: string }
  | { ok: false; failure: GitHubFailure }

/**
 * The periodic (and on-demand) reconciliation of a project with GitHub: issue intake, then
 * the default branch's state. Catches what webhooks missed.
 */
export default class GitHubSync {
  /** Projects under GitHub's watch: active or paused, with a token named. */
  static async syncableProjects(client?: TransactionClientContract) {
    return Project.query({ client })
      .whereIn('state', ['active', 'paused'])
      .whereNotNull('githubTokenSecretName')
      .orderBy('id')
  }

  /** One project. GitHub's refusals come back as a result (already recorded on the project), never thrown. */
  static async syncProject(
    project: Project,
    onProgress?: (progress: IntakeProgress) => void
  ): Promise<ProjectSyncResult> {
    try {
      const intake = await IssueIntake.sync(project, onProgress)
      const defaultBranchStatus = await DefaultBranchStatus.refresh(project)
      return { ok: true, intake, defaultBranchStatus }
    } catch (error) {
      if (!(error instanceof GitHubFailure)) throw error
      logger.warn({ projectId: project.id, kind: error.kind, err: error }, 'GitHub sync failed')
      return { ok: false, failure: error }
    }
  }

  /** The cron's step: one job per project (job key), so a slow repository delays no other. */
  static async enqueueAll(trx: TransactionClientContract) {
    const projects = await this.syncableProjects(trx)
    for (const { id } of projects) {
      await JobQueue.enqueue(
        trx,
        SYNC_PROJECT_TASK,
        { projectId: id },
        { jobKey: `${SYNC_PROJECT_TASK}:${id}`, maxAttempts: 1 }
      )
    }
    return projects.length
  }

  /** A webhook said the default branch's checks changed: look at them soon, once. */
  static async scheduleDefaultBranchRefresh(trx: TransactionClientContract, projectId: number) {
    await JobQueue.enqueue(
      trx,
      REFRESH_DEFAULT_BRANCH_TASK,
      { projectId },
      { jobKey: `${REFRESH_DEFAULT_BRANCH_TASK}:${projectId}`, maxAttempts: 5 }
    )
  }
}
