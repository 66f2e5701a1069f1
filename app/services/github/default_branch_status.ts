import { DateTime } from 'luxon'
import db from '@adonisjs/lucid/services/db'
import Project, { type BranchStatus } from '#models/project'
import AuditEvent from '#models/audit_event'
import Claimable from '#infrastructure/claimable'
import GitHubClient from '#services/github/github_client'
import GitHubFacts from '#services/github/github_facts'
import Policy from '#models/policy'
import WorkItem from '#models/work_item'
import { FIX_CI_WORK_TYPE } from '#services/claims/claim_gates'
import type { TransactionClientContract } from '@adonisjs/lucid/types/database'
import Notifier from '#services/notifications/notifier'

/**
 * Keeps a project's `default_branch_status` (the `default_branch_green` claim gate's fact)
 * in step with the checks of its default branch on GitHub.
 */
export default class DefaultBranchStatus {
  /** Reads the branch's checks and records a change of state (with its audit event). */
  static async refresh(project: Project): Promise<BranchStatus> {
    const client = await GitHubClient.forProject(project)
    const checks = await GitHubFacts.checksOn(client, project.repoDefaultBranch)
    const state = GitHubFacts.stateOf(checks)
    // Checks still running: the last known state stands until they finish.
    if (state === null) return project.defaultBranchStatus
    const failing = [...checks]
      .filter(([, check]) => check.state === 'failure')
      .map(([name, check]) => ({ name, detail: check.detail }))
    return this.record(project.id, state, failing)
  }

  static async record(
    projectId: number,
    status: BranchStatus,
    failingChecks: { name: string; detail: string }[] = []
  ): Promise<BranchStatus> {
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
      if (previous === 'failing') {
        // Items that failed only on the red branch's checks (inherited_failure) may try again.
        const woken = await trx
          .from('work_items')
          .where('project_id', project.id)
          .whereNotNull('waits_for_green_since')
          .update({
            waits_for_green_since: null,
            run_after: trx.raw(`case when status = 'pending' then now() else run_after end`),
            updated_at: trx.raw('now()'),
          })
          .returning('id')
        if (woken.length > 0)
          await AuditEvent.record(trx, {
            actor: 'system',
            action: 'project.default_branch_green_woke_items',
            subject: project,
            details: { work_item_ids: woken.map((row) => row.id) },
          })
        // Leaving `failing` reopens the default_branch_green gate to every work type.
        await Claimable.announce(trx, project.id)
      }
      if (status === 'failing') await this.#openFixCi(trx, project, failingChecks)
      // Red and green are the changes people act on; `unknown` tells them nothing.
      if (status === 'failing' || (status === 'passing' && previous === 'failing'))
        await Notifier.publish(
          trx,
          project.id,
          status === 'failing' ? 'default_branch.red' : 'default_branch.green',
          {
            branch: project.repoDefaultBranch,
            from: previous,
            to: status,
            failing_checks: failingChecks.map((check) => check.name),
          }
        )
      return status
    })
  }

  /** auto_fix_ci: one fix_ci item per red streak (this is the streak's start), its failing checks as payload. */
  static async #openFixCi(
    trx: TransactionClientContract,
    project: Project,
    failingChecks: { name: string; detail: string }[]
  ) {
    const { auto_fix_ci: autoFixCi } = await Policy.forProject(project.id, trx)
    if (!autoFixCi) return
    const item = await WorkItem.create(
      {
        projectId: project.id,
        workType: FIX_CI_WORK_TYPE,
        title: `Fix CI: ${project.repoDefaultBranch} is failing`,
        payload: {
          branch: project.repoDefaultBranch,
          failing_checks: failingChecks,
          red_since: project.defaultBranchStatusAt?.toISO() ?? null,
        },
        priority: 100,
        source: 'api',
        externalRef: `gatehouse:fix_ci:${project.defaultBranchStatusAt?.toMillis() ?? Date.now()}`,
        runAfter: DateTime.now(),
      },
      { client: trx }
    )
    await AuditEvent.record(trx, {
      actor: 'system',
      action: 'work_item.created',
      subject: item,
      details: { source: 'auto_fix_ci', failing_checks: failingChecks.map((check) => check.name) },
    })
    await Claimable.announce(trx, project.id)
  }
}
