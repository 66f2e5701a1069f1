import UntracedTransformer from '#transformers/untraced_transformer'
import type Run from '#models/run'
import type WorkItem from '#models/work_item'
import type Project from '#models/project'
import Question from '#models/question'
import RunFeedback from '#services/runs/run_feedback'
import RunTransformer from '#transformers/run_transformer'
import WorkItemTransformer from '#transformers/work_item_transformer'
import QuestionTransformer from '#transformers/question_transformer'

/**
 * The claim answer (spec §5): the run just claimed, its work item, what earlier attempts teach
 * this one (null on a first attempt) and the item's conversation with people (issue 12). Read
 * after the claim committed.
 */
export default class ClaimTransformer extends UntracedTransformer<Run> {
  constructor(
    run: Run,
    protected workItem: WorkItem,
    protected project: Project,
    protected leaseSeconds: number,
    /** Whether the item has earlier runs, notes or questions (false: nothing to read). */
    protected earlier = true
  ) {
    super(run)
  }

  async toObject() {
    const run = this.resource
    const [feedback, questions] = this.earlier
      ? await Promise.all([RunFeedback.before(run), Question.conversationOf(this.workItem.id)])
      : [null, []]
    return {
      run: RunTransformer.transform(run, this.leaseSeconds).useVariant('claimed'),
      work_item: WorkItemTransformer.transform(this.workItem, this.project),
      feedback,
      // Questions the agents asked about this item and the answers they got, oldest first.
      conversation: QuestionTransformer.transform(questions).useVariant('conversation'),
    }
  }
}
