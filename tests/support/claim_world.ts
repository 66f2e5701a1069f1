import db from '@adonisjs/lucid/services/db'
import { DateTime } from 'luxon'
import Agent from '#models/agent'
import Setting, { type Settings } from '#models/setting'
import type Project from '#models/project'
import type WorkItem from '#models/work_item'
import type { GatesConfig } from '#models/project'
import { AgentFactory } from '#database/factories/agent_factory'
import { ProjectFactory } from '#database/factories/project_factory'
import { WorkItemFactory } from '#database/factories/work_item_factory'

/**
 * The claim tests' world, built with the factories: the shorthands below name only what a claim
 * test cares about (unique slugs, a token per agent, items already due, dependencies).
 */
let sequence = 0
const next = () => `${Date.now().toString(36)}-${++sequence}`

export async function createProject(
  attributes: Partial<Pick<Project, 'state' | 'defaultBranchStatus' | 'slug'>> & {
    gatesConfig?: GatesConfig
  } = {}
) {
  const slug = attributes.slug ?? `project-${next()}`
  return ProjectFactory.merge({
    name: slug,
    repoFullName: `acme/${slug}`,
    gatesConfig: {},
    ...attributes,
    slug,
  }).create()
}

export async function createAgent(
  attributes: Partial<Pick<Agent, 'maxConcurrency' | 'enabled' | 'capabilities'>> = {}
) {
  const agent = await AgentFactory.merge(attributes).create()
  const token = await Agent.accessTokens.create(agent)
  return { agent, token: token.value!.release() }
}

export async function createItem(
  project: Project,
  attributes: Partial<
    Pick<
      WorkItem,
      'workType' | 'priority' | 'assignedAgentId' | 'status' | 'approvedAt' | 'runAfter' | 'title'
    >
  > = {},
  dependsOn: WorkItem[] = []
) {
  const item = await WorkItemFactory.merge({
    projectId: project.id,
    payload: { note: 'test' },
    // Due already: the claim takes only items whose run_after has passed.
    runAfter: DateTime.now().minus({ seconds: 1 }),
    ...attributes,
  }).create()
  if (dependsOn.length > 0) await item.related('dependsOn').attach(dependsOn.map((d) => d.id))
  return item
}

/** The global switches, as an admin would set them. */
export async function setSettings(settings: Partial<Settings>) {
  for (const [key, value] of Object.entries(settings)) {
    await db.rawQuery(
      `insert into settings (key, value) values (?, ?::jsonb)
       on conflict (key) do update set value = excluded.value, updated_at = now()`,
      [key, JSON.stringify(value)]
    )
  }
}

/** Ends a run as the lifecycle code would (that code is not this module's concern). */
export async function finishRun(runId: number, itemStatus: 'completed' | 'pending' = 'completed') {
  await db.transaction(async (trx) => {
    const { rows } = await trx.rawQuery(
      `update runs set status = 'succeeded', finished_at = now() where id = ? and status = 'running'
       returning work_item_id`,
      [runId]
    )
    await trx.rawQuery(
      `update work_items set status = ?, locked_by_agent_id = null, completed_at = case when ? = 'completed' then now() end
        where id = ?`,
      [itemStatus, itemStatus, rows[0].work_item_id]
    )
  })
}

/**
 * An empty world before each test (Lucid's truncate() only truncates after a test, leaving
 * whatever ran before visible to the first one), with the settings rows the migration seeds.
 */
export async function emptyWorld() {
  const { rows } = await db.rawQuery(
    `select string_agg(format('%I', tablename), ', ') as tables from pg_tables
      where schemaname = 'public' and tablename not like 'adonis_schema%'`
  )
  await db.rawQuery(`truncate ${rows[0].tables} restart identity cascade`)
  await setSettings(Setting.fromValues({}))
}
