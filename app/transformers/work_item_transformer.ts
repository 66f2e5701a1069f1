import UntracedTransformer from '#transformers/untraced_transformer'
import type Project from '#models/project'
import type WorkItem from '#models/work_item'

/** A work item as the agent API shows it. */
export default class WorkItemTransformer extends UntracedTransformer<WorkItem> {
  constructor(
    item: WorkItem,
    /** The item's project, for the claim answer (the claim has it at hand, unpreloaded). */
    protected project?: Project
  ) {
    super(item)
  }

  /** What a claim hands out: the work and where it is done. */
  toObject() {
    const item = this.resource
    return {
      id: item.id,
      project: this.project && {
        slug: this.project.slug,
        repo_full_name: this.project.repoFullName,
        repo_default_branch: this.project.repoDefaultBranch,
      },
      work_type: item.workType,
      title: item.title,
      payload: item.payload,
      priority: item.priority,
    }
  }

  /** The item next to a run the agent holds. */
  summary() {
    const item = this.resource
    return { id: item.id, work_type: item.workType, title: item.title }
  }

  /** Where the item stands after a run's completion or release. */
  state() {
    return { id: this.resource.id, status: this.resource.status }
  }
}
