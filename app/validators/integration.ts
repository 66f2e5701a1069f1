import vine from '@vinejs/vine'
import { INTEGRATION_KINDS } from '#models/integration'
import { NOTIFICATION_EVENTS } from '#services/notifications/notifier'

const kind = () => vine.enum(INTEGRATION_KINDS)
const name = () =>
  vine
    .string()
    .trim()
    .minLength(1)
    .maxLength(100)
    .regex(/^[A-Za-z0-9_.:-]+$/)
    // Unique per (project, kind, name); meta carries the project and, on edit, the integration itself.
    .unique({
      table: 'integrations',
      column: 'name',
      filter: (query, _value, field) => {
        query.where('project_id', field.meta.projectId).where('kind', String(field.parent.kind))
        if (field.meta.integrationId !== undefined) query.whereNot('id', field.meta.integrationId)
      },
    })
/** A Slack integration's secret is its incoming-webhook URL: refused at once, not at send time. */
const slackWebhookUrl = vine.createRule((value, _, field) => {
  if (field.parent.kind !== 'slack' || typeof value !== 'string') return
  let parsed: URL | null = null
  try {
    parsed = new URL(value)
  } catch {}
  if (parsed?.protocol !== 'https:') {
    field.report(
      'A Slack secret is its incoming-webhook URL (https://hooks.slack.com/services/…)',
      'slackWebhookUrl',
      field
    )
  }
})
const secret = () => vine.string().minLength(1).maxLength(10_000).use(slackWebhookUrl())
/**
 * Where a webhook integration POSTs (not a secret). Required for `webhook`, except for the one
 * the project names as GitHub's inbound webhook secret (webhook_secret_name), which only holds it.
 */
const url = () =>
  vine
    .string()
    .trim()
    .maxLength(2000)
    .url({ require_protocol: true, protocols: ['http', 'https'], require_tld: false })
    .nullable()
    .optional()
    .requiredWhen(
      (field) =>
        field.parent.kind === 'webhook' && field.parent.name !== field.meta.webhookSecretName
    )
/** The events to deliver (`slack`, `webhook`); none ticked means all. */
const events = () => vine.array(vine.enum(NOTIFICATION_EVENTS)).distinct().optional()

/** POST /projects/:projectId/integrations */
export const createIntegrationValidator = vine.create({
  kind: kind(),
  name: name(),
  secret: secret(),
  url: url(),
  events: events(),
})

/** PUT /projects/:projectId/integrations/:id (a blank secret keeps the stored one). */
export const updateIntegrationValidator = vine.create({
  kind: kind(),
  name: name(),
  secret: secret().nullable(),
  url: url(),
  events: events(),
})
