import { createHmac } from 'node:crypto'
import db from '@adonisjs/lucid/services/db'
import { appUrl } from '#config/app'
import NotificationDelivery, { type AttemptOutcome } from '#models/notification_delivery'
import NotificationDeliveryAttempt from '#models/notification_delivery_attempt'
import type Project from '#models/project'
import { notificationDeliveries } from '#infrastructure/metrics'

/** A receiver gets this long to answer; graphile-worker retries a timeout like any failure. */
export const DELIVERY_TIMEOUT_MS = 10_000

/** Thrown so that graphile-worker retries the job with its backoff. */
export class DeliveryFailed extends Error {}

type OutgoingRequest = { url: string; headers: Record<string, string>; body: string }

/**
 * Sends one notification delivery (the `deliver_notification` job): a signed JSON POST to a
 * webhook, or a message to a Slack incoming webhook. Each attempt is recorded; a failed one
 * throws for a retry, unless it was the last, which marks the delivery failed.
 */
export default class NotificationSender {
  static async deliver(deliveryId: number, finalAttempt: boolean) {
    const delivery = await NotificationDelivery.query()
      .where('id', deliveryId)
      .preload('integration')
      .preload('project')
      .first()
    // Gone with its integration, or already delivered (a duplicate or a stale job).
    if (!delivery || delivery.status !== 'pending') return
    // Deactivated since: nothing to retry for; the delivery ends failed, redeliverable later.
    const last = finalAttempt || delivery.integration.status !== 'active'

    const outcome = await this.#send(delivery)
    await db.transaction(async (trx) => {
      const locked = await NotificationDelivery.query({ client: trx })
        .where('id', delivery.id)
        .forUpdate()
        .firstOrFail()
      locked.markAttempt(outcome, last)
      await locked.save()
      await NotificationDeliveryAttempt.create(
        {
          notificationDeliveryId: locked.id,
          attempt: locked.attempts,
          attemptedAt: locked.lastAttemptAt!,
          statusCode: outcome.statusCode,
          durationMs: outcome.durationMs,
          error: outcome.error,
        },
        { client: trx }
      )
    })
    const result = outcome.ok ? 'delivered' : last ? 'failed' : 'retrying'
    notificationDeliveries.inc({ result })
    if (!outcome.ok && !last) throw new DeliveryFailed(outcome.error ?? 'delivery failed')
  }

  static async #send(delivery: NotificationDelivery): Promise<AttemptOutcome> {
    const started = performance.now()
    const elapsed = () => Math.round(performance.now() - started)
    if (delivery.integration.status !== 'active')
      return { ok: false, statusCode: null, durationMs: 0, error: 'the integration is inactive' }
    let request: OutgoingRequest
    try {
      request = this.request(delivery)
    } catch (error) {
      return { ok: false, statusCode: null, durationMs: 0, error: (error as Error).message }
    }
    try {
      const response = await fetch(request.url, {
        method: 'POST',
        headers: request.headers,
        body: request.body,
        redirect: 'manual',
        signal: AbortSignal.timeout(DELIVERY_TIMEOUT_MS),
      })
      const text = await response.text()
      if (response.ok)
        return { ok: true, statusCode: response.status, durationMs: elapsed(), error: null }
      return {
        ok: false,
        statusCode: response.status,
        durationMs: elapsed(),
        error: `HTTP ${response.status}${text ? `: ${text.slice(0, 500)}` : ''}`,
      }
    } catch (error) {
      const timedOut = (error as Error).name === 'TimeoutError'
      return {
        ok: false,
        statusCode: null,
        durationMs: elapsed(),
        error: timedOut
          ? `no answer within ${DELIVERY_TIMEOUT_MS / 1000} s`
          : describeNetworkError(error),
      }
    }
  }

  /** The HTTP request of a delivery, by the integration's kind. */
  static request(delivery: NotificationDelivery): OutgoingRequest {
    const integration = delivery.integration
    const secret = integration.revealSecret()
    if (secret === null) throw new Error('the integration secret cannot be decrypted')
    const link = pageUrl(delivery)
    if (integration.kind === 'slack') {
      if (!/^https?:\/\//.test(secret))
        throw new Error('the Slack integration secret is not an incoming-webhook URL')
      return {
        url: secret,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(slackMessage(delivery, link)),
      }
    }
    if (!integration.url) throw new Error('the webhook integration has no URL')
    const body = JSON.stringify(webhookPayload(delivery, link))
    return {
      url: integration.url,
      headers: {
        'content-type': 'application/json',
        'user-agent': 'Gatehouse-Hookshot',
        'x-gatehouse-event': delivery.event,
        'x-gatehouse-delivery': delivery.deliveryUuid,
        // GitHub's scheme (X-Hub-Signature-256), so its verifiers work unchanged.
        'x-gatehouse-signature-256': `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`,
      },
      body,
    }
  }
}

/** The generic webhook body (docs/notifications.md). */
export function webhookPayload(delivery: NotificationDelivery, link: string) {
  return {
    event: delivery.event,
    delivery: delivery.deliveryUuid,
    occurred_at: delivery.occurredAt.toUTC().toISO(),
    project: projectOf(delivery.project),
    data: { ...delivery.data, url: link },
  }
}

/** A readable Slack message: one line of what happened, a link to the page that shows it. */
export function slackMessage(delivery: NotificationDelivery, link: string) {
  const summary = `[${delivery.project.name}] ${describe(delivery)}`
  return {
    text: `${escapeSlack(summary)} <${link}|Open in Gatehouse>`,
    blocks: [
      {
        type: 'section',
        text: { type: 'mrkdwn', text: `${escapeSlack(summary)}\n<${link}|Open in Gatehouse>` },
      },
    ],
  }
}

function projectOf(project: Project) {
  return { slug: project.slug, name: project.name, url: `${base()}/projects/${project.id}` }
}

/**
 * The admin page of what happened, absolute (APP_URL, as GitHub reports build theirs). Paths,
 * not urlFor: the worker process does not commit the router's routes.
 */
function pageUrl(delivery: NotificationDelivery) {
  const data = delivery.data as { run?: { id?: number }; work_item?: { id?: number } }
  if (delivery.event === 'run.rejected' && data.run?.id) return `${base()}/runs/${data.run.id}`
  if (data.work_item?.id) return `${base()}/work-items/${data.work_item.id}`
  if (delivery.event === 'kill_switch.changed') return `${base()}/settings`
  return `${base()}/projects/${delivery.projectId}`
}

function base() {
  return appUrl.replace(/\/+$/, '')
}

/** One sentence per event, for people. */
function describe(delivery: NotificationDelivery): string {
  const data = delivery.data as Record<string, any>
  const item = data.work_item ? `"${data.work_item.title}" (#${data.work_item.id})` : ''
  switch (delivery.event) {
    case 'question.asked':
      return `An agent asks about ${item}: ${data.question?.text ?? ''}`
    case 'item.needs_human':
      return `${item} failed after ${data.work_item?.attempts ?? '?'} attempts and needs a person.`
    case 'run.rejected':
      return `Run #${data.run?.id} of ${item} was rejected: ${(data.reasons ?? [])
        .map((reason: { gate: string; reason: string }) => `${reason.gate}: ${reason.reason}`)
        .join('; ')}`
    case 'item.completed':
      return `${item} is completed${data.run?.pr_url ? ` (${data.run.pr_url})` : ''}.`
    case 'budget.threshold':
      return `This month's runs cost $${data.spent_usd}, ${data.percent} % of the $${data.budget_usd} budget.`
    case 'default_branch.red':
      return `The default branch ${data.branch} is failing.`
    case 'default_branch.green':
      return `The default branch ${data.branch} is passing again.`
    case 'kill_switch.changed':
      return data.agents_enabled
        ? 'Agents were enabled again (kill switch off).'
        : 'Agents were disabled (kill switch on): no claims are served.'
  }
}

function escapeSlack(text: string) {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
}

function describeNetworkError(error: unknown) {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause
  return cause?.code ?? cause?.message ?? (error as Error).message
}
