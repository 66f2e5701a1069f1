import { verify } from '@octokit/webhooks-methods'
import db from '@adonisjs/lucid/services/db'
import logger from '@adonisjs/core/services/logger'
import Project from '#models/project'
import JobQueue from '#infrastructure/job_queue'
import { resolveSecret } from '#services/github/github_client'
import Problem from '#exceptions/problem'

export const PROCESS_DELIVERY_TASK = 'process_github_webhook'

/** What arrived at POST /webhooks/github, before anything is believed. */
export type IncomingDelivery = {
  rawBody: string
  payload: unknown
  event: string | undefined
  deliveryId: string | undefined
  signature: string | undefined
}

export type ReceivedDelivery = { deliveryId: string; duplicate: boolean }

/**
 * The front door of GitHub webhooks (spec §6): finds the project by repository, verifies the
 * signature with its webhook secret before anything is stored, then records the delivery
 * (deduped by X-GitHub-Delivery) and enqueues its processing in the same transaction.
 */
export default class WebhookReceiver {
  static async receive(incoming: IncomingDelivery): Promise<ReceivedDelivery> {
    const payload = incoming.payload
    if (!payload || typeof payload !== 'object' || Array.isArray(payload)) {
      throw new Problem(400, 'Bad Request', 'The body must be a JSON object.')
    }
    if (!incoming.event || !incoming.deliveryId) {
      throw new Problem(
        400,
        'Bad Request',
        'X-GitHub-Event and X-GitHub-Delivery headers are required.'
      )
    }
    if (incoming.deliveryId.length > 100 || incoming.event.length > 64) {
      throw new Problem(400, 'Bad Request', 'X-GitHub-Event or X-GitHub-Delivery is too long.')
    }
    const fullName = (payload as { repository?: { full_name?: unknown } }).repository?.full_name
    if (typeof fullName !== 'string') {
      throw new Problem(404, 'Not Found', 'The delivery names no repository Gatehouse knows.')
    }
    const candidates = await Project.query()
      .whereRaw('lower(repo_full_name) = lower(?)', [fullName])
      .orderBy('id')
    if (candidates.length === 0) {
      throw new Problem(404, 'Not Found', `No project watches ${fullName}.`)
    }
    const project = await this.#verifiedProject(candidates, incoming)
    if (!project) {
      logger.warn(
        { repository: fullName, deliveryId: incoming.deliveryId },
        'webhook with a bad or missing signature'
      )
      throw new Problem(
        401,
        'Unauthorized',
        'The X-Hub-Signature-256 signature does not match the webhook secret.'
      )
    }

    const action = (payload as { action?: unknown }).action
    return db.transaction(async (trx) => {
      // A redelivery (or the same delivery arriving twice at once) loses here and is only acknowledged,
      // unless the delivery failed: then GitHub's "Redeliver" is the way to have it processed again.
      // (Lucid's binding type leaves out null, which pg binds as SQL NULL.)
      const { rows } = await trx.rawQuery(
        `insert into webhook_deliveries (delivery_id, event, action, project_id, status, payload)
         values (?, ?, ?, ?, 'received', ?::jsonb)
         on conflict (delivery_id) do update
            set status = 'received', error = null, payload = excluded.payload, updated_at = now()
          where webhook_deliveries.status = 'failed' and webhook_deliveries.project_id = excluded.project_id
         returning id`,
        [
          incoming.deliveryId!,
          incoming.event!,
          (typeof action === 'string' ? action.slice(0, 64) : null) as any,
          project.id,
          JSON.stringify(payload),
        ]
      )
      if (rows.length === 0) return { deliveryId: incoming.deliveryId!, duplicate: true }
      await JobQueue.enqueue(
        trx,
        PROCESS_DELIVERY_TASK,
        { deliveryId: rows[0].id },
        { maxAttempts: 5 }
      )
      return { deliveryId: incoming.deliveryId!, duplicate: false }
    })
  }

  /** The project whose webhook secret signed the body (several projects may watch one repository). */
  static async #verifiedProject(candidates: Project[], incoming: IncomingDelivery) {
    if (!incoming.signature?.startsWith('sha256=')) return null
    for (const project of candidates) {
      const secret = await resolveSecret(project, ['github', 'webhook'], project.webhookSecretName)
      if (!secret) continue
      try {
        if (await verify(secret, incoming.rawBody, incoming.signature)) return project
      } catch {
        // A malformed signature header is as bad as a wrong one.
      }
    }
    return null
  }
}
