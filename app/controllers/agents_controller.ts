import type { HttpContext } from '@adonisjs/core/http'
import { urlFor } from '@adonisjs/core/services/url_builder'
import Agent, { type AgentProfile } from '#models/agent'
import Run from '#models/run'
import Project from '#models/project'
import AgentPolicy from '#policies/agent_policy'
import KeysetPage, { cursorValidator } from '#presenters/keyset_page'
import { createAgentValidator, updateAgentValidator } from '#validators/agent'

/** Agents: the list with their live state, registration, the profile page and editing. */
export default class AgentsController {
  async index({ request, view, bouncer }: HttpContext) {
    const { before, after } = await request.validateUsing(cursorValidator, { data: request.qs() })
    const page = await KeysetPage.fetch(
      Agent.query().withScopes((scopes) => scopes.withLoad()),
      { before, after },
      { order: 'asc' }
    )
    return view.render('pages/agents/index', {
      section: 'agents',
      page,
      links: page.links(urlFor('agents.index')),
      canManage: await bouncer.with(AgentPolicy).allows('manage'),
    })
  }

  async create({ view, bouncer }: HttpContext) {
    await bouncer.with(AgentPolicy).authorize('manage')
    return view.render('pages/agents/create', { section: 'agents' })
  }

  async store({ request, response, auth, bouncer, session }: HttpContext) {
    await bouncer.with(AgentPolicy).authorize('manage')
    const { key, ...input } = await request.validateUsing(createAgentValidator)
    const agent = await Agent.register(
      auth.use('web').getUserOrFail(),
      { key, ...(await toProfile(input)) },
      { ip: request.ip() }
    )
    session.flash(
      'success',
      `Agent ${agent.key} registered. Issue it a token to let it claim work.`
    )
    return response.redirect().toRoute('agents.show', { id: agent.id })
  }

  async show({ params, view, bouncer, session }: HttpContext) {
    const agent = await Agent.findOrFail(params.id)
    const runs = await Run.query()
      .where('agentId', agent.id)
      .orderBy('id', 'desc')
      .limit(20)
      .preload('workItem')
    return view.render('pages/agents/show', {
      section: 'agents',
      agent,
      running: await agent.runningCount(),
      tokens: await agent.tokenSummaries(),
      // Flashed by AgentTokensController.store for this one response, then gone for good.
      issuedToken: session.flashMessages.get('issuedToken') ?? null,
      runs,
      projectSlugs: await slugsOf(agent.projectIds),
      canManage: await bouncer.with(AgentPolicy).allows('manage'),
    })
  }

  async edit({ params, view, bouncer }: HttpContext) {
    await bouncer.with(AgentPolicy).authorize('manage')
    const agent = await Agent.findOrFail(params.id)
    return view.render('pages/agents/edit', {
      section: 'agents',
      agent,
      projectSlugs: await slugsOf(agent.projectIds),
    })
  }

  async update({ params, request, response, auth, bouncer, session }: HttpContext) {
    await bouncer.with(AgentPolicy).authorize('manage')
    const agent = await Agent.findOrFail(params.id)
    const input = await request.validateUsing(updateAgentValidator)
    await agent.updateProfile(auth.use('web').getUserOrFail(), await toProfile(input), {
      ip: request.ip(),
    })
    session.flash('success', `Agent ${agent.key} updated.`)
    return response.redirect().toRoute('agents.show', { id: agent.id })
  }
}

/** The slugs of an agent's project scope, in id order. */
async function slugsOf(projectIds: number[]) {
  if (projectIds.length === 0) return []
  const projects = await Project.query().whereIn('id', projectIds).orderBy('id').select('slug')
  return projects.map((project) => project.slug)
}

async function toProfile(input: {
  name: string
  description?: string
  work_types: unknown
  tags?: unknown
  model_name?: string
  model_version?: string
  github_login?: string
  max_concurrency: number
  projects?: unknown
}): Promise<AgentProfile> {
  return {
    name: input.name,
    description: input.description ?? '',
    capabilities: {
      work_types: input.work_types as string[],
      tags: (input.tags as string[] | undefined) ?? [],
    },
    modelName: input.model_name ?? null,
    modelVersion: input.model_version ?? null,
    githubLogin: input.github_login ?? null,
    maxConcurrency: input.max_concurrency,
    projectIds: await Project.idsOfSlugs((input.projects as string[] | undefined) ?? []),
  }
}
