import { compose } from '@adonisjs/core/helpers'
import encryption from '@adonisjs/core/services/encryption'
import { belongsTo, column } from '@adonisjs/lucid/orm'
import type { BelongsTo } from '@adonisjs/lucid/types/relations'
import { IntegrationSchema } from '#database/schema'
import Project from '#models/project'
import { withAuditedChanges } from '#models/mixins/audited_changes'
import type User from '#models/user'
import DuplicateValue from '#exceptions/duplicate_value'
import { NOTIFICATION_EVENTS, type NotificationEvent } from '#services/notifications/notifier'

const UNIQUE_NAME = 'integrations_project_id_kind_name_unique'

export const INTEGRATION_KINDS = ['github', 'slack', 'webhook'] as const
export type IntegrationKind = (typeof INTEGRATION_KINDS)[number]

/** What a maintainer sets besides the secret: a webhook's URL and the events to send. */
export type NotificationSettings = {
  url?: string | null
  /** Null or every event: all, future ones included. */
  events?: NotificationEvent[] | null
}

/** A project's connection to an external service; its secret is encrypted at rest. */
export default class Integration extends compose(IntegrationSchema, withAuditedChanges()) {
  declare kind: IntegrationKind
  declare status: 'active' | 'inactive'

  @column({ serializeAs: null })
  declare value: string

  declare notificationEvents: NotificationEvent[] | null

  @belongsTo(() => Project)
  declare project: BelongsTo<typeof Project>

  /** Ciphertext bound to the integration's kind and name (set those first). */
  static seal(kind: IntegrationKind, name: string, plaintext: string) {
    return encryption.encrypt(plaintext, undefined, `integration:${kind}:${name}`)
  }

  /** Whether an event goes to this integration (its filter; none set: all). */
  receives(event: NotificationEvent) {
    return this.notificationEvents === null || this.notificationEvents.includes(event)
  }

  set secret(plaintext: string) {
    this.value = Integration.seal(this.kind, this.name, plaintext)
  }

  /** The plaintext, for the code that calls the service; never for a page. */
  revealSecret(): string | null {
    return encryption.decrypt<string>(this.value, `integration:${this.kind}:${this.name}`)
  }

  /** A maintainer connects a service to a project; the audit trail never holds the secret. */
  static async connect(
    project: Project,
    attributes: { kind: IntegrationKind; name: string; secret: string } & NotificationSettings,
    actor: User,
    ipAddress: string | null
  ) {
    return DuplicateValue.guard('name', UNIQUE_NAME, () =>
      Integration.auditedStep(
        actor,
        'integration.created',
        async (trx) => {
          const integration = new Integration()
          integration.merge({
            projectId: project.id,
            kind: attributes.kind,
            name: attributes.name,
            status: 'active',
            url: attributes.url ?? null,
            notificationEvents: eventFilter(attributes.events),
          })
          integration.secret = attributes.secret
          integration.useTransaction(trx)
          await integration.save()
          return {
            subject: integration,
            details: { kind: integration.kind, name: integration.name },
            result: integration,
          }
        },
        { ip: ipAddress }
      )
    )
  }

  /**
   * Renames or re-keys the integration. A blank secret keeps the old one, re-sealed when the
   * kind or name (part of the ciphertext's purpose) changes.
   */
  async reconfigure(
    changes: { kind: IntegrationKind; name: string; secret: string | null } & NotificationSettings,
    actor: User,
    ipAddress: string | null
  ) {
    await DuplicateValue.guard('name', UNIQUE_NAME, () =>
      this.changeAudited(
        actor,
        'integration.updated',
        async () => {
          const details: Record<string, unknown> = {}
          if (changes.kind !== this.kind) details.kind = { from: this.kind, to: changes.kind }
          if (changes.name !== this.name) details.name = { from: this.name, to: changes.name }
          if (changes.secret !== null) details.secret_changed = true
          const url = changes.url ?? null
          if (url !== this.url) details.url = { from: this.url, to: url }
          const events = eventFilter(changes.events)
          if (JSON.stringify(events) !== JSON.stringify(this.notificationEvents))
            details.notification_events = { from: this.notificationEvents, to: events }
          if (Object.keys(details).length === 0) return { unchanged: true }
          const plaintext = changes.secret ?? this.revealSecret()
          if (plaintext === null)
            throw new Error(`Integration ${this.id}: the stored secret cannot be decrypted`)
          this.kind = changes.kind
          this.name = changes.name
          this.url = url
          this.notificationEvents = events
          this.secret = plaintext
          return { details }
        },
        { ip: ipAddress }
      )
    )
  }

  async deactivate(by: User, ip: string | null) {
    await this.#setStatus('inactive', by, ip)
  }

  async reactivate(by: User, ip: string | null) {
    await this.#setStatus('active', by, ip)
  }

  async #setStatus(status: 'active' | 'inactive', actor: User, ipAddress: string | null) {
    await this.changeAudited(
      actor,
      status === 'active' ? 'integration.reactivated' : 'integration.deactivated',
      async () => {
        if (this.status === status) return { unchanged: true }
        this.status = status
        return { details: { kind: this.kind, name: this.name } }
      },
      { ip: ipAddress }
    )
  }
}

/** Stored as chosen, in the list's order; all of them is stored as null (all, future ones too). */
function eventFilter(events: NotificationEvent[] | null | undefined): NotificationEvent[] | null {
  if (!events) return null
  const chosen = NOTIFICATION_EVENTS.filter((event) => events.includes(event))
  return chosen.length === NOTIFICATION_EVENTS.length || chosen.length === 0 ? null : chosen
}
