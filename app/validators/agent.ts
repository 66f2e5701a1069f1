import vine, { SimpleMessagesProvider } from '@vinejs/vine'
import db from '@adonisjs/lucid/services/db'
import type { Infer } from '@vinejs/vine/types'
import type { AgentProfile } from '#models/agent'

type WordOptions = { allowStar: boolean; label: string }

/** What is wrong with one word of a list (work type, tag, project slug), if anything. */
function wordProblem(text: string, options: WordOptions) {
  if (!(options.allowStar && text === '*') && !/^[a-z0-9]+([-_:.][a-z0-9]+)*$/.test(text))
    return `"${text}" is not a valid ${options.label}: use lowercase letters, digits, - and _`
  if (text.length > 64) return `Each ${options.label} has at most 64 characters`
  return null
}

/** One word of a list given as an array (agent definitions). */
const word = vine.createRule<WordOptions>((value, options, field) => {
  if (typeof value !== 'string') return
  const problem = wordProblem(value, options)
  if (problem) field.report(problem, 'wordList', field)
})

/**
 * A list typed as comma-separated words (the pages' form): each checked as `word` checks it,
 * `*` allowed when `allowStar`. Becomes the array stored in capabilities.
 */
const wordList = vine.createRule<WordOptions>((value, options, field) => {
  if (typeof value !== 'string') return
  const words = [...new Set(value.split(/[\s,]+/).filter(Boolean))]
  for (const each of words) {
    const problem = wordProblem(each, options)
    if (problem) return field.report(problem, 'wordList', field)
  }
  field.mutate(words, field)
})

/** Project slugs that name existing projects (an agent's project scope). */
const knownProjectSlugs = vine.createRule(async (value, _options, field) => {
  if (!Array.isArray(value) || value.length === 0) return
  const rows: { slug: string }[] = await db.from('projects').whereIn('slug', value).select('slug')
  const known = new Set(rows.map((row) => row.slug))
  const unknown = value.filter((slug) => !known.has(slug))
  if (unknown.length > 0) {
    field.report(
      `No project with slug ${unknown.map((slug) => `"${slug}"`).join(', ')}`,
      'knownProjects',
      field
    )
  }
})

const AGENT_KEY = /^[a-z0-9]+([-_][a-z0-9]+)*$/
const WORK_TYPE = { allowStar: true, label: 'work type' }
const TAG = { allowStar: false, label: 'tag' }
const PROJECT_SLUG = { allowStar: false, label: 'project slug' }

/**
 * The rules of an agent's fields, written once. The pages' form (lists typed as comma-separated
 * words) and agent definitions (`agent:create`, `agents:seed`: JSON arrays) wrap them; each
 * call builds a fresh schema, as VineJS schemas are changed by what is chained onto them.
 */
const agentField = {
  /** What precedes the format checks: the form lower-cases what was typed first. */
  key: (typed = vine.string().trim()) => typed.maxLength(64).regex(AGENT_KEY),
  name: () => vine.string().trim().minLength(1).maxLength(255),
  description: () => vine.string().trim().maxLength(5000),
  workType: () => vine.string().trim().use(word(WORK_TYPE)),
  tag: () => vine.string().trim().use(word(TAG)),
  projectSlug: () => vine.string().trim().use(word(PROJECT_SLUG)),
  model: () => vine.string().trim().maxLength(255),
  // The agent's own GitHub account: its approvals never count for min_approvals.
  githubLogin: () =>
    vine
      .string()
      .trim()
      .maxLength(100)
      .regex(/^[A-Za-z0-9][A-Za-z0-9-]*(\[bot\])?$/),
  maxConcurrency: () => vine.number().withoutDecimals().range([1, 1000]),
}

/** The profile as the pages' form sends it. */
const profile = {
  name: agentField.name(),
  description: agentField.description().optional(),
  work_types: vine.string().trim().use(wordList(WORK_TYPE)),
  tags: vine.string().trim().use(wordList(TAG)).optional(),
  model_name: agentField.model().optional(),
  model_version: agentField.model().optional(),
  github_login: agentField.githubLogin().optional(),
  max_concurrency: agentField.maxConcurrency(),
  projects: vine.string().trim().use(wordList(PROJECT_SLUG)).use(knownProjectSlugs()).optional(),
}

/** POST /agents */
export const createAgentValidator = vine.create({
  key: agentField
    .key(vine.string().trim().toLowerCase())
    .unique({ table: 'agents', column: 'key' }),
  ...profile,
})

/** PUT /agents/:id (the key is the agent's identity and stays as registered) */
export const updateAgentValidator = vine.create(profile)

/** POST /agents/:id/tokens */
export const issueAgentTokenValidator = vine.create({
  name: vine.string().trim().minLength(1).maxLength(255),
  expires_in_days: vine.number().withoutDecimals().range([1, 3650]).optional(),
})

/** An agent as maintainers declare it (`agents:seed` files, `agent:create`). */
export const agentDefinition = vine.object({
  key: agentField.key(),
  name: agentField.name(),
  description: agentField.description().optional(),
  capabilities: vine
    .object({
      work_types: vine.array(agentField.workType()).minLength(1).distinct(),
      tags: vine.array(agentField.tag()).distinct().optional(),
    })
    .optional(),
  model_name: agentField.model().nullable().optional(),
  model_version: agentField.model().nullable().optional(),
  github_login: agentField.githubLogin().nullable().optional(),
  max_concurrency: agentField.maxConcurrency().optional(),
  /** Slugs of the only projects it may claim from; absent or empty: every project. */
  projects: vine.array(agentField.projectSlug()).distinct().use(knownProjectSlugs()).optional(),
  enabled: vine.boolean({ strict: true }).optional(),
})

export const agentDefinitionValidator = vine.create(agentDefinition)
agentDefinitionValidator.messagesProvider = new SimpleMessagesProvider({
  'key.regex':
    'The key must be lowercase letters and digits, words joined by - or _ (e.g. claude-coder)',
})

export type AgentDefinition = Infer<typeof agentDefinition>

/**
 * The agent a definition describes, with the defaults for what it leaves out (`enabled` only
 * when set); `projectIds` are its `projects` slugs resolved (see Project.idsOfSlugs).
 */
export function definedAgent(
  definition: AgentDefinition,
  projectIds: number[] = []
): AgentProfile & { key: string; enabled?: boolean } {
  return {
    key: definition.key,
    name: definition.name,
    description: definition.description ?? '',
    capabilities: {
      work_types: definition.capabilities?.work_types ?? ['*'],
      tags: definition.capabilities?.tags ?? [],
    },
    modelName: definition.model_name ?? null,
    modelVersion: definition.model_version ?? null,
    githubLogin: definition.github_login ?? null,
    maxConcurrency: definition.max_concurrency ?? 1,
    projectIds,
    enabled: definition.enabled,
  }
}
