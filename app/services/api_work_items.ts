import { DateTime } from 'luxon'
import db from '@adonisjs/lucid/services/db'
import type { TransactionClientContract } from '@adonisjs/lucid/types/database'
import WorkItem from '#models/work_item'
import AuditEvent, { type Actor } from '#models/audit_event'
import type Project from '#models/project'
import Claimable from '#infrastructure/claimable'
import Problem from '#exceptions/problem'
import InvalidTransition from '#exceptions/invalid_transition'
import type { ApiWorkItemChanges, ApiWorkItemInput } from '#validators/project_work_item'

export type UpsertOutcome = 'created' | 'updated' | 'unchanged' | 'conflict'

/** Items a run holds: what an integration may not change under it. */
const HELD = ['in_progress', 'verifying']

/** An integration's `external_id`, kept apart from GitHub intake's refs. */
export const externalRef = (externalId: string) => `api:${externalId}`

/**
 * The work-item API of integrations (spec issue 15), with a project API key as actor: items
 * created or upserted by `external_id` in one transaction per request, and edits refused while
 * a run holds the item. Every change is audited and announced to waiting claimers.
 */
export default class ApiWorkItems {
  static async upsert(project: Project, actor: Actor, inputs: ApiWorkItemInput[]) {
    return db.transaction(async (trx) => {
      await this.#checkDependencies(
        trx,
        project,
        inputs.flatMap((input) => input.depends_on ?? [])
      )
      const results: { outcome: UpsertOutcome; item: WorkItem }[] = []
      for (const input of inputs) results.push(await this.#upsertOne(trx, project, actor, input))
      if (results.some((result) => ['created', 'updated'].includes(result.outcome))) {
        await Claimable.announce(trx, project.id)
      }
      return results
    })
  }

  /** Changes an item no run holds (409 otherwise); returns the fields that changed. */
  static async update(item: WorkItem, actor: Actor, changes: ApiWorkItemChanges) {
    return db.transaction(async (trx) => {
      await item.lockRowIn(trx)
      if (HELD.includes(item.status)) {
        throw new InvalidTransition(
          `Work item ${item.id} is ${item.status}: a run holds it, so it cannot be changed now.`
        )
      }
      const project = { id: item.projectId } as Project
      await this.#checkDependencies(trx, project, changes.depends_on ?? [], item.id)
      const fields = await this.#apply(trx, item, changes)
      if (fields.length > 0) {
        await AuditEvent.record(trx, {
          actor,
          action: 'work_item.updated',
          subject: item,
          details: { source: 'api', fields },
        })
        if (item.status === 'pending') await Claimable.announce(trx, item.projectId)
      }
      return fields
    })
  }

  static async dependencyIds(itemIds: number[]) {
    const byItem = new Map<number, number[]>(itemIds.map((id) => [id, []]))
    if (itemIds.length === 0) return byItem
    const rows = await db
      .from('work_item_dependencies')
      .whereIn('work_item_id', itemIds)
      .orderBy('depends_on_id')
      .select('work_item_id', 'depends_on_id')
    for (const row of rows) byItem.get(row.work_item_id)?.push(row.depends_on_id)
    return byItem
  }

  static async #upsertOne(
    trx: TransactionClientContract,
    project: Project,
    actor: Actor,
    input: ApiWorkItemInput
  ): Promise<{ outcome: UpsertOutcome; item: WorkItem }> {
    const ref = input.external_id ? externalRef(input.external_id) : null
    const existing = ref
      ? await WorkItem.query({ client: trx })
          .where({ projectId: project.id, externalRef: ref })
          .forUpdate()
          .first()
      : null
    if (existing) {
      if (HELD.includes(existing.status)) return { outcome: 'conflict', item: existing }
      const fields = await this.#apply(trx, existing, {
        title: input.title,
        work_type: input.work_type,
        payload: input.payload,
        priority: input.priority,
        depends_on: input.depends_on,
        approved: input.approved,
      })
      if (fields.length === 0) return { outcome: 'unchanged', item: existing }
      await AuditEvent.record(trx, {
        actor,
        action: 'work_item.updated',
        subject: existing,
        details: { source: 'api', external_id: input.external_id, fields },
      })
      return { outcome: 'updated', item: existing }
    }

    const item = await WorkItem.create(
      {
        projectId: project.id,
        workType: input.work_type ?? 'code',
        title: input.title,
        payload: input.payload ?? {},
        priority: input.priority ?? 0,
        maxAttempts: input.max_attempts ?? null,
        source: 'api',
        status: 'pending',
        attempts: 0,
        externalRef: ref,
        runAfter: DateTime.now(),
        approvedAt: input.approved ? DateTime.now() : null,
      },
      { client: trx }
    )
    if (input.depends_on?.length) await item.related('dependsOn').attach(input.depends_on, trx)
    await AuditEvent.record(trx, {
      actor,
      action: 'work_item.created',
      subject: item,
      details: {
        source: 'api',
        external_id: input.external_id ?? null,
        depends_on: input.depends_on ?? [],
      },
    })
    return { outcome: 'created', item }
  }

  /** Writes the changes that differ; returns their names. */
  static async #apply(trx: TransactionClientContract, item: WorkItem, changes: ApiWorkItemChanges) {
    item.useTransaction(trx)
    const fields: string[] = []
    const set = <K extends keyof WorkItem>(
      field: string,
      key: K,
      value: WorkItem[K] | undefined
    ) => {
      if (value === undefined || JSON.stringify(item[key]) === JSON.stringify(value)) return
      ;(item as WorkItem)[key] = value as WorkItem[K]
      fields.push(field)
    }
    set('title', 'title', changes.title)
    set('work_type', 'workType', changes.work_type)
    set('payload', 'payload', changes.payload)
    set('priority', 'priority', changes.priority)
    if (changes.approved !== undefined && changes.approved !== (item.approvedAt !== null)) {
      ;(item as WorkItem).merge({
        approvedAt: changes.approved ? DateTime.now() : null,
        approvedByUserId: null,
      })
      fields.push('approved')
    }
    if (fields.length > 0) await item.save()
    if (changes.depends_on !== undefined) {
      const existing = await this.dependencyIds([item.id])
      const current = existing.get(item.id) ?? []
      const wanted = [...changes.depends_on].sort((a, b) => a - b)
      if (JSON.stringify(current) !== JSON.stringify(wanted)) {
        await item.related('dependsOn').sync(wanted, true, trx)
        fields.push('depends_on')
      }
    }
    return fields
  }

  /** Dependencies are items of the same project, never the item itself. */
  static async #checkDependencies(
    trx: TransactionClientContract,
    project: Project,
    ids: number[],
    selfId?: number
  ) {
    const wanted = [...new Set(ids)]
    if (wanted.length === 0) return
    if (selfId !== undefined && wanted.includes(selfId)) {
      throw new Problem(422, 'Unprocessable Content', 'An item cannot depend on itself.', {}, [
        { field: 'depends_on', message: 'An item cannot depend on itself', rule: 'dependency' },
      ])
    }
    const found = await trx
      .from('work_items')
      .where('project_id', project.id)
      .whereIn('id', wanted)
      .select('id')
    if (found.length !== wanted.length) {
      const known = new Set(found.map((row) => row.id))
      const missing = wanted.filter((id) => !known.has(id))
      throw new Problem(
        422,
        'Unprocessable Content',
        'Dependencies must be work items of this project.',
        {},
        [
          {
            field: 'depends_on',
            message: `No work item ${missing.join(', ')} in this project`,
            rule: 'dependency',
          },
        ]
      )
    }
  }
}
