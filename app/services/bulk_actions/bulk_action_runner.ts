import { DateTime } from 'luxon'
import db from '@adonisjs/lucid/services/db'
import type { TransactionClientContract } from '@adonisjs/lucid/types/database'
import BulkAction from '#models/bulk_action'
import User from '#models/user'
import WorkItem from '#models/work_item'
import Run from '#models/run'
import type { BulkStep } from '#models/mixins/audited_changes'
import InvalidTransition from '#exceptions/invalid_transition'
import RunLifecycle from '#services/runs/run_lifecycle'

/** Items per transaction of the job: short enough not to hold many locks for long. */
export const BULK_BATCH_SIZE = 200

/**
 * Applies a bulk action to its items with the same methods the single-item actions call, so
 * that each item goes through its own lifecycle checks and gets its own audit event.
 */
export default class BulkActionRunner {
  /**
   * The next batch of the action's items, in one transaction with the progress it records: a
   * job that crashed mid-batch redoes that batch whole, and never one that committed. Items the
   * action no longer applies to are skipped. False once finished.
   */
  static async processNextBatch(id: number, batchSize = BULK_BATCH_SIZE): Promise<boolean> {
    return db.transaction(async (trx) => {
      const action = await BulkAction.query({ client: trx }).where('id', id).forUpdate().first()
      if (!action || action.status === 'finished') return false
      const { rows } = await trx.rawQuery(
        `select target.id from bulk_actions, unnest(target_ids) as target(id)
          where bulk_actions.id = ? and target.id > ? order by target.id limit ?`,
        [action.id, action.processedThroughId, batchSize]
      )
      const by = await User.findOrFail(action.userId, { client: trx })
      for (const { id: targetId } of rows as { id: number }[]) {
        const applied = await this.#applyInSavepoint(trx, action, targetId, by)
        if (applied) action.doneCount += 1
        else action.skippedCount += 1
        action.processedThroughId = targetId
      }
      const finished = rows.length < batchSize
      action.status = finished ? 'finished' : 'running'
      if (finished) action.finishedAt = DateTime.now()
      await action.useTransaction(trx).save()
      return !finished
    })
  }

  /**
   * One item in a savepoint of the batch: an item the action no longer applies to (completed,
   * already cancelled) leaves nothing behind and counts as skipped, not as an error.
   */
  static async #applyInSavepoint(
    trx: TransactionClientContract,
    action: BulkAction,
    targetId: number,
    by: User
  ) {
    try {
      return await trx.transaction((client) =>
        this.#applyTo(action, targetId, by, {
          client,
          bulkActionId: action.id,
          reason: action.reason,
        })
      )
    } catch (error) {
      if (error instanceof InvalidTransition) return false
      throw error
    }
  }

  /** The same method the single-item action calls; false when nothing changed. */
  static async #applyTo(
    action: BulkAction,
    targetId: number,
    by: User,
    bulk: BulkStep
  ): Promise<boolean> {
    if (BulkAction.targetOf(action.kind) === 'runs') {
      const run = await Run.find(targetId, { client: bulk.client })
      if (!run) return false
      if (action.kind === 'runs.release') {
        const { released } = await RunLifecycle.release(run, by, action.reason, bulk)
        return released
      }
      const item = await WorkItem.findOrFail(run.workItemId, { client: bulk.client })
      return item.cancel(by, null, { runningRunId: run.id, bulk })
    }
    const item = await WorkItem.find(targetId, { client: bulk.client })
    if (!item) return false
    switch (action.kind) {
      case 'work_items.cancel':
        return item.cancel(by, null, { bulk })
      case 'work_items.requeue':
        return item.requeue(by, null, null, bulk)
      case 'work_items.approve':
        return item.approve(by, null, bulk)
      default:
        return item.reprioritise(by, action.parameters.priority!, null, bulk)
    }
  }
}
