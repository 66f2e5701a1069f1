import db from '@adonisjs/lucid/services/db'
import { belongsTo } from '@adonisjs/lucid/orm'
import type { BelongsTo } from '@adonisjs/lucid/types/relations'
import type { TransactionClientContract } from '@adonisjs/lucid/types/database'
import { BulkActionSchema } from '#database/schema'
import { jsonColumn } from '#models/json_column'
import User from '#models/user'
import WorkItem, { type WorkItemStatus } from '#models/work_item'
import Run, { type RunStatus } from '#models/run'
import AuditEvent from '#models/audit_event'
import JobQueue from '#infrastructure/job_queue'
import SelectionChanged from '#exceptions/selection_changed'

export type WorkItemFilter = { project?: number; status?: WorkItemStatus; work_type?: string }
export type RunFilter = { project?: number; agent?: number; status?: RunStatus }

/**
 * What a bulk action does to each item it selected, and which items it may select: those the
 * filter matches and the action applies to now (a cancel never selects completed items).
 */
const KINDS = {
  'work_items.cancel': {
    which: 'not yet finished',
    target: 'work_items',
    verb: 'Cancel',
    eligible: (query: any) => query.whereNotIn('status', ['completed', 'failed', 'cancelled']),
  },
  'work_items.requeue': {
    which: 'failed or cancelled',
    target: 'work_items',
    verb: 'Requeue',
    eligible: (query: any) => query.whereIn('status', ['failed', 'cancelled']),
  },
  'work_items.approve': {
    which: 'not finished and not yet approved',
    target: 'work_items',
    verb: 'Approve',
    eligible: (query: any) =>
      query.whereNotIn('status', ['completed', 'failed', 'cancelled']).whereNull('approved_at'),
  },
  'work_items.reprioritise': {
    which: 'not finished',
    target: 'work_items',
    verb: 'Change the priority of',
    eligible: (query: any) => query.whereNotIn('status', ['completed', 'failed', 'cancelled']),
  },
  'runs.release': {
    which: 'still running',
    target: 'runs',
    verb: 'Release',
    eligible: (query: any) => query.where('status', 'running'),
  },
  'runs.cancel': {
    which: 'still running and not yet asked to stop',
    target: 'runs',
    verb: 'Cancel the work items of',
    eligible: (query: any) => query.where('status', 'running').whereNull('cancel_requested_at'),
  },
} as const

export type BulkActionKind = keyof typeof KINDS
export const BULK_ACTION_KINDS = Object.keys(KINDS) as BulkActionKind[]
export const WORK_ITEM_BULK_KINDS = BULK_ACTION_KINDS.filter(
  (kind) => KINDS[kind].target === 'work_items'
)
export const RUN_BULK_KINDS = BULK_ACTION_KINDS.filter((kind) => KINDS[kind].target === 'runs')

/** What the confirmation page counted: the job acts on exactly these items. */
export type Selection = {
  count: number
  /** The highest id counted: items created after the confirmation are not part of it. */
  upto: number
  /** sha256 of the ids counted, so a submit can tell that the same items are still selected. */
  digest: string
}

export type BulkRequest = {
  kind: BulkActionKind
  filter: WorkItemFilter | RunFilter
  parameters: { priority?: number }
  reason: string
  confirmed: Selection
}

/** A person's action over everything a list's filter selects, applied in batches by a job. */
export default class BulkAction extends BulkActionSchema {
  declare kind: BulkActionKind
  declare status: 'queued' | 'running' | 'finished'
  declare targetIds: number[]

  @jsonColumn()
  declare filter: WorkItemFilter | RunFilter

  @jsonColumn()
  declare parameters: { priority?: number }

  @belongsTo(() => User)
  declare user: BelongsTo<typeof User>

  static targetOf(kind: BulkActionKind) {
    return KINDS[kind].target
  }

  static verbOf(kind: BulkActionKind) {
    return KINDS[kind].verb
  }

  /**
   * What the kind's filter selects now, among ids up to `upto` when given; with `withIds`, the
   * ids themselves (ascending) for the job.
   */
  static async selectionOf(
    kind: BulkActionKind,
    filter: WorkItemFilter | RunFilter,
    options: { upto?: number; withIds?: boolean; client?: TransactionClientContract } = {}
  ): Promise<Selection & { ids: number[] }> {
    const client = options.client ?? db.connection()
    const base =
      KINDS[kind].target === 'work_items'
        ? WorkItem.query({ client }).withScopes((scopes) =>
            scopes.filtered(filter as WorkItemFilter)
          )
        : Run.query({ client }).withScopes((scopes) => scopes.filtered(filter as RunFilter))
    const query = KINDS[kind].eligible(base).select('id')
    if (options.upto !== undefined) query.where('id', '<=', options.upto)
    const { sql, bindings } = query.toSQL()
    const { rows } = await client.rawQuery(
      `select count(*)::int as count, coalesce(max(id), 0) as upto,
              encode(sha256(convert_to(coalesce(string_agg(id::text, ',' order by id), ''), 'UTF8')), 'hex') as digest,
              ${options.withIds ? `coalesce(array_agg(id order by id), '{}')` : `'{}'::int[]`} as ids
         from (${sql}) as selection`,
      bindings as any[]
    )
    return rows[0]
  }

  /**
   * Records the action and queues its job, in one transaction, if the filter still selects
   * exactly what the person confirmed (else SelectionChanged, with what it selects now).
   */
  static async start(by: User, request: BulkRequest, ip?: string | null) {
    return db.transaction(async (trx) => {
      const now = await this.selectionOf(request.kind, request.filter, {
        upto: request.confirmed.upto,
        withIds: true,
        client: trx,
      })
      if (now.count !== request.confirmed.count || now.digest !== request.confirmed.digest) {
        const current = await this.selectionOf(request.kind, request.filter, { client: trx })
        throw new SelectionChanged(request.confirmed.count, current)
      }
      const action = await this.create(
        {
          kind: request.kind,
          filter: request.filter,
          parameters: request.parameters,
          reason: request.reason,
          userId: by.id,
          targetIds: now.ids,
          totalCount: now.count,
        },
        { client: trx }
      )
      await AuditEvent.record(trx, {
        actor: by,
        action: 'bulk_action.started',
        subject: action,
        projectId: request.filter.project ?? null,
        details: {
          kind: request.kind,
          filter: request.filter,
          parameters: request.parameters,
          reason: request.reason,
          count: now.count,
          upto: now.upto,
        },
        ipAddress: ip,
      })
      await JobQueue.enqueue(
        trx,
        'process_bulk_action',
        { bulkActionId: action.id },
        { jobKey: `process_bulk_action:${action.id}` }
      )
      return action
    })
  }

  /** The scope in words, as the confirmation and progress pages state it. */
  static async describe(kind: BulkActionKind, filter: WorkItemFilter | RunFilter) {
    const target = KINDS[kind].target === 'work_items' ? 'work items' : 'runs'
    const parts = [`${target} that are ${KINDS[kind].which}`]
    if (filter.project) {
      const project = await db.from('projects').where('id', filter.project).first()
      parts.push(`in project “${project?.name ?? `#${filter.project}`}”`)
    }
    if ('agent' in filter && filter.agent) {
      const agent = await db.from('agents').where('id', filter.agent).first()
      parts.push(`of agent “${agent?.key ?? `#${filter.agent}`}”`)
    }
    if (filter.status) parts.push(`with status ${filter.status.replaceAll('_', ' ')}`)
    if ('work_type' in filter && filter.work_type) parts.push(`of work type “${filter.work_type}”`)
    return `All ${parts.join(', ')}`
  }

  get progressPercent() {
    if (this.totalCount === 0) return 100
    return Math.floor(((this.doneCount + this.skippedCount) * 100) / this.totalCount)
  }
}
