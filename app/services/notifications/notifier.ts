import type { TransactionClientContract } from '@adonisjs/lucid/types/database'

export const NOTIFICATION_EVENTS = [
  'question.asked',
  'item.needs_human',
  'run.rejected',
  'item.completed',
  'budget.threshold',
  'default_branch.red',
  'default_branch.green',
  'kill_switch.changed',
] as const
export type NotificationEvent = (typeof NOTIFICATION_EVENTS)[number]

/** Graphile-worker's attempts for one delivery; see publish_notification (migration 0500) for the 24 h arithmetic. */
export const DELIVERY_MAX_ATTEMPTS = 13

/**
 * Tells a project's `slack` and `webhook` integrations that something happened
 * (docs/notifications.md). Called inside the transaction of the event itself, so a delivery
 * exists exactly when the event commits; the sending is a job (NotificationSender), never
 * part of the caller's work.
 */
export default class Notifier {
  /**
   * One delivery and one `deliver_notification` job per matching integration, in SQL
   * (publish_notification) because the budget trigger publishes too. A null project: every
   * project's integrations (the kill switch). Answers how many deliveries were queued.
   */
  static async publish(
    trx: TransactionClientContract,
    projectId: number | null,
    event: NotificationEvent,
    data: Record<string, unknown>
  ): Promise<number> {
    // Lucid's binding type leaves out null, which pg binds as SQL NULL.
    const bindings: any[] = [projectId, event, JSON.stringify(data)]
    const { rows } = await trx.rawQuery(
      'select publish_notification(?::int, ?, ?::jsonb) as published',
      bindings
    )
    return Number(rows[0].published)
  }
}
