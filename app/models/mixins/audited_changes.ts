import db from '@adonisjs/lucid/services/db'
import type { BaseModel } from '@adonisjs/lucid/orm'
import type { NormalizeConstructor } from '@adonisjs/core/types/helpers'
import type { TransactionClientContract } from '@adonisjs/lucid/types/database'
import type { LucidModel, LucidRow, ModelAttributes } from '@adonisjs/lucid/types/model'
import AuditEvent, { type Actor } from '#models/audit_event'
import Claimable from '#infrastructure/claimable'

export type { Actor }

/** Where an audited change runs, and what its audit event records of the request. */
export type AuditOptions = {
  /** The request's IP address, kept on the audit event. */
  ip?: string | null
  /** The caller's transaction (a step of a larger one); else the change opens its own. */
  client?: TransactionClientContract
  /** The caller holds this row's lock and has loaded it: change the row as it is. */
  locked?: boolean
}

/**
 * A change made as one step of a larger one, inside its transaction: an item of a bulk action
 * (the audit event names it and the reason the person gave), or the system following an
 * outside event (a reopened GitHub issue: the reason only).
 */
export type BulkStep = {
  client: TransactionClientContract
  bulkActionId?: number
  reason: string
}

/** What such a step adds to each item's audit event. */
export function bulkDetails(bulk: BulkStep | undefined) {
  if (!bulk) return {}
  if (bulk.bulkActionId === undefined) return { reason: bulk.reason }
  return { bulk_action_id: bulk.bulkActionId, reason: bulk.reason }
}

/** What a change did, as its callback tells it. */
export type AuditedOutcome = {
  /** Nothing differed: nothing is saved, audited or announced. */
  unchanged?: boolean
  /** The audit action, when the change decides it (a step with two endings). */
  action?: string
  details?: Record<string, unknown>
  /** Wakes waiting claimers on commit: of every project (true) or of one (its id). */
  announce?: boolean | number | null
}

/** A step that is not one row's update (a row created, several rows changed). */
export type AuditedStep<T> = AuditedOutcome & { subject?: LucidRow | null; result: T }

type AuditedRow = {
  /** Locks this row for `trx` and reloads it from there. */
  lockRowIn(trx: TransactionClientContract): Promise<any>
  /** Lock → change → save → audit → announce; false (nothing written) when unchanged. */
  changeAudited(
    by: Actor,
    action: string,
    change: (trx: TransactionClientContract) => Promise<AuditedOutcome | void>,
    options?: AuditOptions
  ): Promise<boolean>
}

type AuditedClass<Model extends NormalizeConstructor<typeof BaseModel>> = Model & {
  auditedStep<T>(
    by: Actor,
    action: string,
    step: (trx: TransactionClientContract) => Promise<AuditedStep<T>>,
    options?: AuditOptions
  ): Promise<T>
  new (...args: any[]): AuditedRow
}

/**
 * The one seam for a change a person, an agent or the system makes to a model: in one
 * transaction (its own, or the caller's), lock the row, change it, save it, write the audit
 * event naming the actor (`User | Agent | 'system'`), and announce to waiting claimers when
 * the change may have made work claimable (NOTIFY, delivered on commit).
 *
 *   export default class Agent extends compose(AgentSchema, withAuditedChanges()) {}
 */
export function withAuditedChanges() {
  return <Model extends NormalizeConstructor<typeof BaseModel>>(
    superclass: Model
  ): AuditedClass<Model> => {
    class AuditedChanges extends superclass {
      static async auditedStep<T>(
        by: Actor,
        action: string,
        step: (trx: TransactionClientContract) => Promise<AuditedStep<T>>,
        options: AuditOptions = {}
      ): Promise<T> {
        return inTransaction(options.client, async (trx) => {
          const outcome = await step(trx)
          if (!outcome.unchanged) await recordAndAnnounce(trx, by, action, outcome, options)
          return outcome.result
        })
      }

      async lockRowIn(trx: TransactionClientContract) {
        const model = this.constructor as LucidModel
        const fresh = await model
          .query({ client: trx })
          .where(model.primaryKey, this.$primaryKeyValue as string | number)
          .forUpdate()
          .firstOrFail()
        this.useTransaction(trx)
        this.fill(fresh.$attributes as Partial<ModelAttributes<this>>)
        this.$hydrateOriginals()
        return this
      }

      async changeAudited(
        by: Actor,
        action: string,
        change: (trx: TransactionClientContract) => Promise<AuditedOutcome | void>,
        options: AuditOptions = {}
      ): Promise<boolean> {
        return inTransaction(options.client, async (trx) => {
          if (options.locked) this.useTransaction(trx)
          else await this.lockRowIn(trx)
          const outcome = (await change(trx)) ?? {}
          if (outcome.unchanged) return false
          await this.save()
          await recordAndAnnounce(trx, by, action, { ...outcome, subject: this }, options)
          return true
        })
      }
    }
    return AuditedChanges as unknown as AuditedClass<Model>
  }
}

/** In the caller's transaction when given one (e.g. `agents:seed` is all-or-nothing), else in its own. */
export function inTransaction<T>(
  client: TransactionClientContract | undefined,
  work: (trx: TransactionClientContract) => Promise<T>
) {
  return client ? work(client) : db.transaction(work)
}

async function recordAndAnnounce(
  trx: TransactionClientContract,
  by: Actor,
  action: string,
  outcome: AuditedOutcome & { subject?: LucidRow | null },
  options: AuditOptions
) {
  await AuditEvent.record(trx, {
    actor: by,
    action: outcome.action ?? action,
    subject: outcome.subject ?? null,
    details: outcome.details,
    ipAddress: options.ip ?? null,
  })
  if (outcome.announce === true) await Claimable.announce(trx)
  else if (typeof outcome.announce === 'number') await Claimable.announce(trx, outcome.announce)
}
