import vine from '@vinejs/vine'
import type { FieldContext, Infer } from '@vinejs/vine/types'
import { PROJECT_STATES, type GatesConfig, type ProjectSettings } from '#models/project'
import { POLICY_DEFAULTS, type PolicyKey, type ProjectPolicies } from '#models/policy'
import { isOwnConfiguration } from '#services/github/own_configuration'

/** A form group (gates[…], policies[…]) accepts only the keys spec §4 knows. */
const onlyKnownKeys = vine.createRule((value: unknown, known: string[], field: FieldContext) => {
  if (!vine.helpers.isObject(value)) return
  const unknown = Object.keys(value).filter((key) => !known.includes(key))
  if (unknown.length > 0) {
    field.report(`Unknown ${field.name} key: ${unknown.join(', ')}.`, 'knownKeys', field)
  }
})

function knownKeysObject<Properties extends Record<string, any>>(properties: Properties) {
  return vine
    .object(properties)
    .allowUnknownProperties()
    .use(onlyKnownKeys(Object.keys(properties)))
}

/** An unticked checkbox sends nothing. */
const checkbox = () => vine.boolean().parse((value) => value ?? false)
/** A blank number field means "not set". */
const optionalInteger = (min: number, max: number) =>
  vine.number().withoutDecimals().range([min, max]).nullable().optional()
const optionalAmount = () =>
  vine.number().min(0).max(1_000_000_000).decimal([0, 2]).nullable().optional()

/** The claim and accept gates of spec §4 (gates_config). */
export const gatesSchema = knownKeysObject({
  wip_limit: optionalInteger(1, 10_000),
  require_approval: checkbox(),
  monthly_budget_usd: optionalAmount(),
  default_branch_green: checkbox(),
  tests_reported: checkbox(),
  max_cost_usd: optionalAmount(),
  human_review: checkbox(),
  // One check name per line or comma-separated.
  required_checks: vine
    .array(vine.string().trim().minLength(1).maxLength(100))
    .maxLength(50)
    .distinct()
    .parse((value) =>
      typeof value === 'string'
        ? value
            .split(/[\n,]/)
            .map((name) => name.trim())
            .filter(Boolean)
        : (value ?? [])
    ),
  e2e_check_name: vine.string().trim().maxLength(100).nullable().optional(),
  min_approvals: optionalInteger(1, 20),
})

/** The other policies of spec §4; a blank field falls back to the default. */
export const policiesSchema = knownKeysObject({
  max_attempts: optionalInteger(1, 100),
  lease_seconds: optionalInteger(30, 24 * 60 * 60),
  max_run_seconds: optionalInteger(60, 7 * 24 * 60 * 60),
  retry_backoff_seconds: optionalInteger(1, 60 * 60),
  ci_timeout_minutes: optionalInteger(1, 24 * 60),
  merge_strategy: vine
    .enum(['merge', 'squash', 'rebase'] as const)
    .nullable()
    .optional(),
  intake_label: vine
    .string()
    .trim()
    .maxLength(50)
    .regex(/^[^,\s][^,]*$/)
    .nullable()
    .optional(),
  report_to_github: vine
    .enum(['true', 'false'] as const)
    .nullable()
    .optional(),
  // One glob per line; blank uses the default, `none` turns the gate off (an empty list).
  protected_paths: vine
    .array(vine.string().trim().minLength(1).maxLength(200))
    .maxLength(100)
    .distinct()
    .parse((value) => {
      if (typeof value !== 'string') return value
      if (value.trim() === '') return null
      if (value.trim().toLowerCase() === 'none') return []
      return value
        .split(/[\n,]/)
        .map((glob) => glob.trim())
        .filter(Boolean)
    })
    .nullable()
    .optional(),
})

const notOwnConfiguration = vine.createRule((value, _, field) => {
  if (typeof value === 'string' && isOwnConfiguration(value)) {
    field.report(
      `${value} configures Gatehouse itself and cannot be a project's secret`,
      'notOwnConfiguration',
      field
    )
  }
})

const secretName = () =>
  vine
    .string()
    .trim()
    .maxLength(255)
    .regex(/^[A-Za-z0-9_.:-]+$/)
    .use(notOwnConfiguration())
    .nullable()
    .optional()

const projectFields = {
  name: vine.string().trim().minLength(1).maxLength(255),
  slug: vine
    .string()
    .trim()
    .toLowerCase()
    .maxLength(64)
    .regex(/^[a-z0-9]+(-[a-z0-9]+)*$/)
    .unique({
      table: 'projects',
      column: 'slug',
      // On edit the project's own slug is not a clash (meta.projectId).
      filter: (query, _value, field) => {
        if (field.meta.projectId !== undefined) query.whereNot('id', field.meta.projectId)
      },
    }),
  brief: vine.string().trim().maxLength(20_000).nullable().optional(),
  repo_full_name: vine
    .string()
    .trim()
    .maxLength(255)
    .regex(/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/),
  repo_default_branch: vine
    .string()
    .trim()
    .minLength(1)
    .maxLength(255)
    .regex(/^[^\s~^:?*[\\]+$/),
  github_token_secret_name: secretName(),
  webhook_secret_name: secretName(),
  e2e_required: checkbox(),
  gates: gatesSchema,
  policies: policiesSchema,
}

/** POST /projects: a new project starts as a draft or straight away active. */
export const createProjectValidator = vine.create({
  ...projectFields,
  state: vine.enum(['draft', 'active'] as const),
})

/** PUT /projects/:id (state changes have their own form). */
export const updateProjectValidator = vine.create(projectFields)

/** PUT /projects/:id/state */
export const projectStateValidator = vine.create({
  state: vine.enum(PROJECT_STATES),
})

type ProjectInput = Infer<typeof updateProjectValidator>

/** The validated form as the model's settings: only the gates in use, only the policies set. */
export function projectSettings(input: ProjectInput): ProjectSettings {
  const gates = input.gates
  const gatesConfig: GatesConfig = {}
  if (gates.wip_limit !== undefined && gates.wip_limit !== null)
    gatesConfig.wip_limit = gates.wip_limit
  if (gates.require_approval) gatesConfig.require_approval = true
  if (gates.monthly_budget_usd !== undefined && gates.monthly_budget_usd !== null)
    gatesConfig.monthly_budget_usd = gates.monthly_budget_usd
  if (gates.default_branch_green) gatesConfig.default_branch_green = true
  if (gates.tests_reported) gatesConfig.tests_reported = true
  if (gates.max_cost_usd !== undefined && gates.max_cost_usd !== null)
    gatesConfig.max_cost_usd = gates.max_cost_usd
  if (gates.human_review) gatesConfig.human_review = true
  if (gates.required_checks.length > 0) gatesConfig.required_checks = gates.required_checks
  if (gates.e2e_check_name) gatesConfig.e2e_check_name = gates.e2e_check_name
  if (gates.min_approvals !== undefined && gates.min_approvals !== null)
    gatesConfig.min_approvals = gates.min_approvals

  const { report_to_github: reportToGithub, ...rest } = input.policies
  const policies: Partial<ProjectPolicies> = {}
  for (const key of Object.keys(POLICY_DEFAULTS) as PolicyKey[]) {
    const value = key === 'report_to_github' ? reportToGithub : rest[key as keyof typeof rest]
    if (value === null || value === undefined || value === '') continue
    ;(policies as Record<string, unknown>)[key] =
      key === 'report_to_github' ? value === 'true' : value
  }

  return {
    name: input.name,
    slug: input.slug,
    brief: input.brief ?? '',
    repoFullName: input.repo_full_name,
    repoDefaultBranch: input.repo_default_branch,
    githubTokenSecretName: input.github_token_secret_name ?? null,
    webhookSecretName: input.webhook_secret_name ?? null,
    e2ERequired: input.e2e_required,
    gatesConfig,
    policies,
  }
}
