import { BaseSchema } from '@adonisjs/lucid/schema'

/**
 * Gates judged on facts Gatehouse fetches itself (issue 11): the agent's own GitHub login
 * (its approvals never count), the one comment kept per work item, and the warning raised
 * when an accepted run's pull request moves.
 */
export default class extends BaseSchema {
  async up() {
    this.schema.alterTable('agents', (table) => {
      table.string('github_login', 100).nullable()
    })
    this.schema.alterTable('work_items', (table) => {
      table.bigInteger('github_comment_id').nullable()
    })
    this.schema.alterTable('runs', (table) => {
      // The PR head Gatehouse last judged (the agent's head_sha is only its report).
      table.string('judged_head_sha', 64).nullable()
      // Set when the PR of an accepted run gets new commits; cleared once the gates pass on the new head.
      table.timestamp('pr_changed_at').nullable()
    })
    // Status webhooks name only a commit: they find the runs judged on it.
    this.schema.raw(
      `create index runs_pending_by_judged_head_sha on runs (project_id, judged_head_sha) where gate_status = 'pending' or pr_changed_at is not null`
    )
    // A PR backs at most one work item: the accepted runs of a PR are looked up by number.
    this.schema.raw(
      `create index runs_accepted_by_pr_number on runs (pr_number) where gate_status = 'passed'`
    )
  }

  async down() {
    this.schema.raw('drop index if exists runs_accepted_by_pr_number')
    this.schema.raw('drop index if exists runs_pending_by_judged_head_sha')
    this.schema.alterTable('runs', (table) => {
      table.dropColumn('pr_changed_at')
      table.dropColumn('judged_head_sha')
    })
    this.schema.alterTable('work_items', (table) => table.dropColumn('github_comment_id'))
    this.schema.alterTable('agents', (table) => table.dropColumn('github_login'))
  }
}
