import vine, { SimpleMessagesProvider } from '@vinejs/vine'
import db from '@adonisjs/lucid/services/db'
import type { Infer } from '@vinejs/vine/types'
import type { AgentProfile } from '#models/agent'

/**
 * A list typed as comma-separated words (work types, tags): each a lowercase slug, or `*`
 * (every work type) when `allowStar`. Becomes the array stored in capabilities.
 */
const wordList = vine.createRule<{ allowStar: boolean; label: string }>((value, options, field) => {
  if (typeof value !== 'string') return
  const words = [...new Set(value.split(/[\s,]+/).filter(Boolean))]
  const bad = words.find(
    (word) => !(options.allowStar && word === '*') && !/^[a-z0-9]+([-_:.][a-z0-9]+)*$/.test(word)
  )
  if (bad) {
    field.report(
      `"${bad}" is not a valid ${options.label}: use lowercase letters, digits, - and _`,
      'wordList',
      field
    )
    return
  }
  if (words.some((word) => word.length > 64)) {
    field.report(`Each ${options.label} has at most 64 characters`, 'wordList', field)
    return
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

const profile = {
  name: vine.string().trim().minLength(1).maxLength(255),
  description: vine.string().trim().maxLength(5000).optional(),
  work_types: vine
    .string()
    .trim()
    .use(wordList({ allowStar: true, label: 'work type' })),
  tags: vine
    .string()
    .trim()
    .use(wordList({ allowStar: false, label: 'tag' }))
    .optional(),
  model_name: vine.string().trim().maxLength(255).optional(),
  model_version: vine.string().trim().maxLength(255).optional(),
  // The agent's own GitHub account: its approvals never count for min_approvals.
  github_login: vine
    .string()
    .trim()
    .maxLength(100)
    .regex(/^[A-Za-z0-9][A-Za-z0-9-]*(\[bot\])?$/)
    .optional(),
  max_concurrency: vine.number().withoutDecimals().range([1, 1000]),
  projects: vine
    .string()
    .trim()
    .use(wordList({ allowStar: false, label: 'project slug' }))
    .use(knownProjectSlugs())
    .optional(),
}

/** POST /agents */
export const createAgentValidator = vine.create({
  key: vine
    .string()
    .trim()
    .toLowerCase()
    .maxLength(64)
    .regex(/^[a-z0-9]+([-_][a-z0-9]+)*$/)
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
  key: vine
    .string()
    .trim()
    .maxLength(64)
    .regex(/^[a-z0-9]+([-_][a-z0-9]+)*$/),
  name: vine.string().trim().minLength(1).maxLength(255),
  description: vine.string().trim().maxLength(2000).optional(),
  capabilities: vine
    .object({
      work_types: vine
        .array(vine.string().trim().minLength(1).maxLength(64))
        .minLength(1)
        .distinct(),
      tags: vine.array(vine.string().trim().minLength(1).maxLength(64)).distinct().optional(),
    })
    .optional(),
  model_name: vine.string().trim().maxLength(255).nullable().optional(),
  model_version: vine.string().trim().maxLength(255).nullable().optional(),
  github_login: vine
    .string()
    .trim()
    .maxLength(100)
    .regex(/^[A-Za-z0-9][A-Za-z0-9-]*(\[bot\])?$/)
    .nullable()
    .optional(),
  max_concurrency: vine.number().withoutDecimals().range([1, 1000]).optional(),
  /** Slugs of the only projects it may claim from; absent or empty: every project. */
  projects: vine
    .array(vine.string().trim().minLength(1).maxLength(255))
    .distinct()
    .use(knownProjectSlugs())
    .optional(),
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
