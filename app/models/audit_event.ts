import db from '@adonisjs/lucid/services/db'
import type { TransactionClientContract } from '@adonisjs/lucid/types/database'
import { belongsTo, scope } from '@adonisjs/lucid/orm'
import type { BelongsTo } from '@adonisjs/lucid/types/relations'
import type { LucidRow } from '@adonisjs/lucid/types/model'
import { AuditEventSchema } from '#database/schema'
import { jsonColumn } from '#models/json_column'
import Project from '#models/project'
import type User from '#models/user'
import type Agent from '#models/agent'

export type ActorType = 'system' | 'agent' | 'user'
/** Who did it: a person, an agent, or Gatehouse itself (jobs, webhooks, ace commands). */
export type Actor = User | Agent | 'system'

type Recordable = {
  actor: Actor
  action: string
  subject?: LucidRow | null
  projectId?: number | null
  details?: Record<string, unknown>
  ipAddress?: string | null
}

/** An immutable record of something that happened (the table refuses updates and deletes). */
export default class AuditEvent extends AuditEventSchema {
  // bigserial, parsed as a number (see database_server.ts)
  declare id: number
  declare actorType: ActorType

  @jsonColumn()
  declare details: Record<string, unknown>

  @belongsTo(() => Project)
  declare project: BelongsTo<typeof Project>

  /** The filters of the audit log. */
  static filtered = scope(
    (
      query,
      filters: {
        project?: number
        actor_type?: ActorType
        action?: string
        subject_type?: string
        subject_id?: number
      }
    ) => {
      if (filters.project) query.where('projectId', filters.project)
      if (filters.actor_type) query.where('actorType', filters.actor_type)
      if (filters.action) query.where('action', filters.action)
      if (filters.subject_type) query.where('subjectType', filters.subject_type)
      if (filters.subject_id) query.where('subjectId', filters.subject_id)
    }
  )

  /** The names of the events' actors (`user:3` → full name, `agent:5` → key), for the pages. */
  static async actorNames(events: AuditEvent[]) {
    const idsOf = (type: ActorType) => [
      ...new Set(events.filter((e) => e.actorType === type && e.actorId).map((e) => e.actorId!)),
    ]
    const [users, agents] = await Promise.all([
      idsOf('user').length
        ? db.from('users').whereIn('id', idsOf('user')).select('id', 'full_name as name')
        : [],
      idsOf('agent').length
        ? db.from('agents').whereIn('id', idsOf('agent')).select('id', 'key as name')
        : [],
    ])
    return new Map<string, string>([
      ...users.map((row): [string, string] => [`user:${row.id}`, row.name]),
      ...agents.map((row): [string, string] => [`agent:${row.id}`, row.name]),
    ])
  }

  /** Writes the event inside the transaction of the change it records. */
  static async record(trx: TransactionClientContract, event: Recordable) {
    const { actorType, actorId } = resolveActor(event.actor)
    return this.create(
      {
        actorType,
        actorId,
        action: event.action,
        subjectType: event.subject ? subjectType(event.subject) : null,
        subjectId: event.subject ? Number(event.subject.$primaryKeyValue) : null,
        projectId: event.projectId ?? projectOf(event.subject),
        details: event.details ?? {},
        ipAddress: event.ipAddress ?? null,
      },
      { client: trx }
    )
  }
}

function resolveActor(actor: Recordable['actor']): {
  actorType: ActorType
  actorId: number | null
} {
  if (actor === 'system') return { actorType: 'system', actorId: null }
  return { actorType: actor.constructor.name === 'Agent' ? 'agent' : 'user', actorId: actor.id }
}

/** work_item, run, project…: the model's name in snake case. */
function subjectType(subject: LucidRow) {
  return subject.constructor.name.replace(/(?<!^)([A-Z])/g, '_$1').toLowerCase()
}

function projectOf(subject: Recordable['subject']): number | null {
  if (!subject) return null
  if (subject.constructor.name === 'Project') return Number(subject.$primaryKeyValue)
  const projectId = (subject as { projectId?: number }).projectId
  return projectId ?? null
}
