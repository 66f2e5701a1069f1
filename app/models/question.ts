import { DateTime } from 'luxon'
import db from '@adonisjs/lucid/services/db'
import { belongsTo } from '@adonisjs/lucid/orm'
import type { BelongsTo } from '@adonisjs/lucid/types/relations'
import type { TransactionClientContract } from '@adonisjs/lucid/types/database'
import { QuestionSchema } from '#database/schema'
import { jsonColumn } from '#models/json_column'
import WorkItem from '#models/work_item'
import Agent from '#models/agent'
import User from '#models/user'
import AuditEvent from '#models/audit_event'
import Claimable from '#infrastructure/claimable'
import InvalidTransition from '#exceptions/invalid_transition'

/** Who answered: a person in the admin pages, or a GitHub account with write access (`/answer`). */
export type Answerer = { user: User } | { githubLogin: string }

/** A question an agent asked about a work item (POST /api/v1/runs/:id/questions). */
export default class Question extends QuestionSchema {
  declare status: 'open' | 'answered'

  @jsonColumn()
  declare choices: string[] | null

  @jsonColumn()
  declare context: unknown

  @belongsTo(() => WorkItem)
  declare workItem: BelongsTo<typeof WorkItem>

  @belongsTo(() => Agent)
  declare agent: BelongsTo<typeof Agent>

  @belongsTo(() => User, { foreignKey: 'answeredByUserId' })
  declare answeredBy: BelongsTo<typeof User>

  /** The item's questions and answers, oldest first (one indexed query: questions_work_item). */
  /** The questions asked about an item, oldest first, with who asked and who answered. */
  static conversationOf(workItemId: number) {
    return this.query()
      .where('workItemId', workItemId)
      .preload('agent')
      .preload('answeredBy')
      .orderBy('id')
  }

  static openFor(workItemId: number, client?: TransactionClientContract) {
    return this.query({ client }).where('workItemId', workItemId).where('status', 'open').first()
  }

  /**
   * Answers the item's open question: the item, blocked on it, returns to `pending` and is
   * claimable at once. One transaction, item locked first as in every transition.
   */
  static async answer(item: WorkItem, text: string, by: Answerer, ip?: string | null) {
    return db.transaction(async (trx) => {
      await item.lockRowIn(trx)
      const question = await this.openFor(item.id, trx)
      if (!question) throw new InvalidTransition(`Work item ${item.id} has no open question.`)
      question.useTransaction(trx)
      question.merge({
        status: 'answered',
        answer: text,
        answeredAt: DateTime.now(),
        answeredByUserId: 'user' in by ? by.user.id : null,
        answeredByLogin: 'githubLogin' in by ? by.githubLogin : null,
      })
      await question.save()
      const resumed = item.status === 'blocked'
      if (resumed) {
        item.merge({ status: 'pending', runAfter: DateTime.now() })
        await item.save()
      }
      await AuditEvent.record(trx, {
        actor: 'user' in by ? by.user : 'system',
        action: 'question.answered',
        subject: item,
        details: {
          question_id: question.id,
          answer: text,
          github_login: 'githubLogin' in by ? by.githubLogin : null,
          resumed,
        },
        ipAddress: ip ?? null,
      })
      if (resumed) await Claimable.announce(trx, item.projectId)
      return question
    })
  }
}
