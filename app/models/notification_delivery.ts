import { DateTime } from 'luxon'
import { compose } from '@adonisjs/core/helpers'
import { belongsTo, hasMany } from '@adonisjs/lucid/orm'
import type { BelongsTo, HasMany } from '@adonisjs/lucid/types/relations'
import { NotificationDeliverySchema } from '#database/schema'
import { jsonColumn } from '#models/json_column'
import { withAuditedChanges } from '#models/mixins/audited_changes'
import Integration from '#models/integration'
import Project from '#models/project'
import NotificationDeliveryAttempt from '#models/notification_delivery_attempt'
import type User from '#models/user'
import JobQueue from '#infrastructure/job_queue'
import InvalidTransition from '#exceptions/invalid_transition'
import type { NotificationEvent } from '#services/notifications/notifier'

export type NotificationDeliveryStatus = 'pending' | 'delivered' | 'failed'

/** One event for one integration (Notifier.publish), sent by the `deliver_notification` job. */
export default class NotificationDelivery extends compose(
  NotificationDeliverySchema,
  withAuditedChanges()
) {
  declare status: NotificationDeliveryStatus
  declare event: NotificationEvent

  @jsonColumn()
  declare data: Record<string, any>

  @belongsTo(() => Integration)
  declare integration: BelongsTo<typeof Integration>

  @belongsTo(() => Project)
  declare project: BelongsTo<typeof Project>

  @hasMany(() => NotificationDeliveryAttempt)
  declare attemptRecords: HasMany<typeof NotificationDeliveryAttempt>

  /** An integration's deliveries, newest first (notification_deliveries_integration). */
  static ofIntegration(integrationId: number) {
    return this.query().where('integrationId', integrationId)
  }

  /**
   * A maintainer sends a finished delivery once more (same X-Gatehouse-Delivery, so the
   * receiver can tell): one new attempt, queued with the change.
   */
  async redeliver(by: User, ip: string | null) {
    await this.changeAudited(
      by,
      'notification_delivery.redelivered',
      async (trx) => {
        if (this.status === 'pending')
          throw new InvalidTransition(`Delivery ${this.id} is still being sent.`)
        const previous = this.status
        this.status = 'pending'
        this.deliveredAt = null
        await JobQueue.enqueue(
          trx,
          'deliver_notification',
          { deliveryId: this.id },
          { maxAttempts: 1 }
        )
        return {
          details: {
            integration_id: this.integrationId,
            event: this.event,
            delivery: this.deliveryUuid,
            previous_status: previous,
          },
        }
      },
      { ip }
    )
  }

  /** Records one attempt's outcome; `final` turns a failure into the delivery's end. */
  markAttempt(outcome: AttemptOutcome, final: boolean) {
    this.attempts += 1
    this.lastStatusCode = outcome.statusCode
    this.lastError = outcome.error
    this.lastAttemptAt = DateTime.now()
    if (outcome.ok) {
      this.status = 'delivered'
      this.deliveredAt = this.lastAttemptAt
    } else if (final) {
      this.status = 'failed'
    }
  }
}

export type AttemptOutcome = {
  ok: boolean
  statusCode: number | null
  durationMs: number
  error: string | null
}
