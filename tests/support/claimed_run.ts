import { DateTime } from 'luxon'
import Agent from '#models/agent'
import Policy, { type PolicyKey } from '#models/policy'
import type Project from '#models/project'
import type { GatesConfig } from '#models/project'
import Run from '#models/run'
import type WorkItem from '#models/work_item'
import { AgentFactory } from '#database/factories/agent_factory'
import { ProjectFactory } from '#database/factories/project_factory'
import { WorkItemFactory } from '#database/factories/work_item_factory'
import { QuestionFactory } from '#database/factories/question_factory'

type ClaimedRunOptions = {
  project?: Project
  agent?: Agent
  gates?: GatesConfig
  policies?: Partial<Record<PolicyKey, unknown>>
  attempts?: number
  maxAttempts?: number | null
  startedAt?: DateTime
  leaseExpiresAt?: DateTime
}

export type ClaimedRun = { project: Project; agent: Agent; item: WorkItem; run: Run; token: string }

/**
 * The world right after a claim (built directly: claiming is another area's code): an item
 * `in_progress` locked by the agent and its `running` run, attempt = the item's attempts.
 */
export async function claimedRun(options: ClaimedRunOptions = {}): Promise<ClaimedRun> {
  const project =
    options.project ?? (await ProjectFactory.merge({ gatesConfig: options.gates ?? {} }).create())
  for (const [key, value] of Object.entries(options.policies ?? {})) {
    await Policy.create({ projectId: project.id, key, value })
  }
  const agent = options.agent ?? (await AgentFactory.create())
  const attempts = options.attempts ?? 1
  const item = await WorkItemFactory.merge({
    projectId: project.id,
    status: 'in_progress',
    lockedByAgentId: agent.id,
    lockedAt: DateTime.now(),
    attempts,
    maxAttempts: options.maxAttempts ?? null,
  }).create()
  const startedAt = options.startedAt ?? DateTime.now()
  const run = await Run.create({
    workItemId: item.id,
    projectId: project.id,
    agentId: agent.id,
    attempt: attempts,
    status: 'running',
    startedAt,
    leaseExpiresAt: options.leaseExpiresAt ?? DateTime.now().plus({ minutes: 10 }),
    gateResults: [],
  })
  return { project, agent, item, run, token: await tokenFor(agent) }
}

export async function tokenFor(agent: Agent) {
  const token = await Agent.accessTokens.create(agent)
  return token.value!.release()
}

/** An agent the factory built, with a bearer token to call the API as it. */
export async function agentWithToken(built: Promise<Agent>) {
  const agent = await built
  return { agent, token: await tokenFor(agent) }
}

/**
 * The world right after the run's agent asked a question (POST /runs/:id/questions): the item
 * blocked on it, held by no agent, the question open.
 */
export async function askedQuestion(
  world: ClaimedRun,
  attributes: { question?: string; choices?: string[] } = {}
) {
  await world.item.merge({ status: 'blocked', lockedByAgentId: null }).save()
  return QuestionFactory.merge({
    workItemId: world.item.id,
    projectId: world.project.id,
    runId: world.run.id,
    agentId: world.agent.id,
    ...attributes,
  }).create()
}

/** Reloads rows the code under test changed behind the test's back. */
export async function reload<T extends { refresh(): Promise<unknown> }>(...models: T[]) {
  for (const model of models) await model.refresh()
}
