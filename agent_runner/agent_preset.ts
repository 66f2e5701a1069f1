import { existsSync, readFileSync } from 'node:fs'
import { dirname, isAbsolute, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

/** Where the shipped presets live: `--preset claude-code` is config/agent_presets/claude-code.json. */
export const PRESETS_DIR = fileURLToPath(new URL('../config/agent_presets/', import.meta.url))

export type HookName = 'after_create' | 'before_run' | 'after_run'
export const HOOK_NAMES: HookName[] = ['after_create', 'before_run', 'after_run']

export type Hook = { run: string; timeout_seconds: number }

/** A path into a JSON value: `usage.input_tokens`, `stats.models.*.tokens.prompt`, `modelUsage.$keys`. */
export type OutputPath = string | string[]

export type OutputSpec = {
  /**
   * `json`: stdout ends with one JSON document (Claude Code, Gemini CLI); `jsonl`: every stdout
   * line is an event (Codex CLI); `last_json_line`: the last stdout line is a Gatehouse report
   * (the `shell` preset); `text`: nothing to read.
   */
  format: 'json' | 'jsonl' | 'last_json_line' | 'text'
  /** jsonl: only events whose fields equal these values are read. */
  events?: Record<string, string>
  costs?: {
    usd?: OutputPath
    input_tokens?: OutputPath
    output_tokens?: OutputPath
    model?: OutputPath
  }
  /** When the CLI reports no price: USD per million tokens, to compute `costs.usd`. */
  usd_per_million_tokens?: { input: number; output: number }
  summary?: OutputPath
  /** A truthy value here means the CLI failed even if it exited 0. */
  failed_when?: OutputPath
  error?: OutputPath
}

export type AgentPreset = {
  name: string
  description: string
  /** argv; `{prompt}`, `{prompt_file}`, `{command}`, `{worktree}`, `{branch}` are replaced per element. */
  command: string[]
  /** false: run in the runner's directory, no git (the `shell` preset, today's behaviour). */
  workspace: boolean
  prompt: { via: 'argument' | 'stdin' | 'file' | 'none'; template?: string }
  env: { allow: string[]; set: Record<string, string> }
  hooks: Partial<Record<HookName, Hook>>
  test_command?: string
  output: OutputSpec
  /** Where it was read from, for messages. */
  source: string
}

export class PresetError extends Error {
  constructor(
    readonly source: string,
    readonly problems: string[]
  ) {
    super(`preset ${source} is not valid: ${problems.join('; ')}`)
  }
}

const DEFAULT_HOOK_TIMEOUT_SECONDS = 600
const KNOWN_KEYS = [
  'name',
  'description',
  'command',
  'workspace',
  'prompt',
  'env',
  'hooks',
  'test_command',
  'output',
]
const PLACEHOLDERS = ['{prompt}', '{prompt_file}', '{command}', '{worktree}', '{branch}']
const VIA = ['argument', 'stdin', 'file', 'none']
const FORMATS = ['json', 'jsonl', 'last_json_line', 'text']
const COST_KEYS = ['usd', 'input_tokens', 'output_tokens', 'model']

/**
 * Loads a preset by name (a file of config/agent_presets) or by path (`./my-preset.json`,
 * anything with a slash or ending in .json), checks every field and names every problem.
 */
export function loadPreset(nameOrPath: string, cwd = process.cwd()): AgentPreset {
  const isPath = nameOrPath.includes('/') || nameOrPath.endsWith('.json')
  const file = isPath ? resolve(cwd, nameOrPath) : join(PRESETS_DIR, `${nameOrPath}.json`)
  if (!isPath && !/^[a-z0-9][a-z0-9_-]*$/i.test(nameOrPath)) {
    throw new PresetError(nameOrPath, ['a preset is a shipped name or a path to a .json file'])
  }
  if (!existsSync(file)) {
    const problem = isPath
      ? `no such file: ${file}`
      : `no shipped preset of that name (see config/agent_presets/)`
    throw new PresetError(nameOrPath, [problem])
  }
  let raw: unknown
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'))
  } catch (error) {
    throw new PresetError(nameOrPath, [`not JSON: ${(error as Error).message}`])
  }
  const preset = parsePreset(raw, nameOrPath)
  // A template named by a relative path is found next to the preset file.
  const template = preset.prompt.template
  if (template && !template.includes('\n') && template.endsWith('.md')) {
    const path = isAbsolute(template) ? template : join(dirname(file), template)
    if (!existsSync(path)) {
      throw new PresetError(nameOrPath, [`prompt.template: no such file: ${path}`])
    }
    preset.prompt.template = readFileSync(path, 'utf8')
  }
  return preset
}

/** Checks a preset's JSON value; every problem is listed with its field. */
export function parsePreset(raw: unknown, source: string): AgentPreset {
  const problems: string[] = []
  if (!isObject(raw)) throw new PresetError(source, ['the file must hold one JSON object'])

  for (const key of Object.keys(raw)) {
    if (!KNOWN_KEYS.includes(key)) problems.push(`${key}: unknown field`)
  }
  const name = raw.name ?? source
  if (typeof name !== 'string' || name.trim() === '') problems.push('name: must be a string')
  if (raw.description !== undefined && typeof raw.description !== 'string') {
    problems.push('description: must be a string')
  }

  const command = raw.command
  if (!Array.isArray(command) || command.length === 0) {
    problems.push('command: must be a non-empty array of strings (the program and its arguments)')
  } else if (!command.every((part) => typeof part === 'string' && part !== '')) {
    problems.push('command: every element must be a non-empty string')
  } else {
    const unknown = command
      .flatMap((part: string) => part.match(/\{[a-z_]+\}/g) ?? [])
      .filter((placeholder: string) => !PLACEHOLDERS.includes(placeholder))
    if (unknown.length > 0) {
      problems.push(
        `command: unknown placeholder ${unknown.join(', ')} (known: ${PLACEHOLDERS.join(', ')})`
      )
    }
  }

  const workspace = raw.workspace ?? true
  if (typeof workspace !== 'boolean') problems.push('workspace: must be true or false')

  const prompt = raw.prompt ?? { via: 'none' }
  let via = 'none'
  let template: string | undefined
  if (!isObject(prompt)) {
    problems.push('prompt: must be an object {via, template?}')
  } else {
    via = String(prompt.via ?? 'none')
    if (!VIA.includes(via)) problems.push(`prompt.via: must be one of ${VIA.join(', ')}`)
    if (prompt.template !== undefined && typeof prompt.template !== 'string') {
      problems.push(
        'prompt.template: must be a string (the template, or a .md file next to the preset)'
      )
    }
    template = prompt.template as string | undefined
    if (
      via === 'argument' &&
      Array.isArray(command) &&
      !command.some((part) => String(part).includes('{prompt}'))
    ) {
      problems.push('prompt.via "argument" needs a {prompt} placeholder in command')
    }
    if (
      via === 'file' &&
      Array.isArray(command) &&
      !command.some((part) => String(part).includes('{prompt_file}'))
    ) {
      problems.push('prompt.via "file" needs a {prompt_file} placeholder in command')
    }
    if (via !== 'none' && workspace === false) {
      problems.push('prompt: a preset without a workspace gets no prompt (set via to "none")')
    }
  }

  const env = raw.env ?? {}
  const allow: string[] = []
  const set: Record<string, string> = {}
  if (!isObject(env)) {
    problems.push('env: must be an object {allow?: string[], set?: {NAME: value}}')
  } else {
    for (const key of Object.keys(env)) {
      if (!['allow', 'set'].includes(key)) problems.push(`env.${key}: unknown field`)
    }
    if (env.allow !== undefined) {
      if (
        !Array.isArray(env.allow) ||
        !env.allow.every(
          (entry) => typeof entry === 'string' && /^(\*|[A-Za-z_][A-Za-z0-9_]*\*?)$/.test(entry)
        )
      ) {
        problems.push(
          'env.allow: must be an array of variable names (a trailing * matches a prefix, "*" everything)'
        )
      } else {
        allow.push(...(env.allow as string[]))
      }
    }
    if (env.set !== undefined) {
      if (!isObject(env.set) || !Object.values(env.set).every((v) => typeof v === 'string')) {
        problems.push('env.set: must be an object of string values')
      } else {
        Object.assign(set, env.set)
      }
    }
  }

  const hooks: Partial<Record<HookName, Hook>> = {}
  if (raw.hooks !== undefined) {
    if (!isObject(raw.hooks)) {
      problems.push('hooks: must be an object with after_create, before_run, after_run')
    } else {
      for (const [key, value] of Object.entries(raw.hooks)) {
        const hook = parseHook(value)
        if (!HOOK_NAMES.includes(key as HookName)) {
          problems.push(`hooks.${key}: unknown hook (known: ${HOOK_NAMES.join(', ')})`)
        } else if (typeof hook === 'string') {
          problems.push(`hooks.${key}: ${hook}`)
        } else {
          hooks[key as HookName] = hook
        }
      }
    }
  }

  if (
    raw.test_command !== undefined &&
    (typeof raw.test_command !== 'string' || !raw.test_command)
  ) {
    problems.push('test_command: must be a shell command')
  }

  const output = parseOutput(raw.output ?? { format: 'text' }, problems)

  if (problems.length > 0) throw new PresetError(source, problems)
  return {
    name: name as string,
    description: (raw.description as string | undefined) ?? '',
    command: command as string[],
    workspace: workspace as boolean,
    prompt: { via: via as AgentPreset['prompt']['via'], template },
    env: { allow, set },
    hooks,
    test_command: raw.test_command as string | undefined,
    output,
    source,
  }
}

/** A hook is `"npm ci"` or `{run: "npm ci", timeout_seconds: 600}`; a string answer is the problem. */
export function parseHook(value: unknown): Hook | string {
  if (typeof value === 'string' && value.trim()) {
    return { run: value, timeout_seconds: DEFAULT_HOOK_TIMEOUT_SECONDS }
  }
  if (!isObject(value) || typeof value.run !== 'string' || !value.run.trim()) {
    return 'must be a shell command or {run, timeout_seconds}'
  }
  const timeout = value.timeout_seconds ?? DEFAULT_HOOK_TIMEOUT_SECONDS
  if (typeof timeout !== 'number' || !(timeout > 0) || timeout > 86_400) {
    return 'timeout_seconds must be a number of seconds from 1 to 86400'
  }
  return { run: value.run, timeout_seconds: timeout }
}

function parseOutput(output: unknown, problems: string[]): OutputSpec {
  if (!isObject(output)) {
    problems.push('output: must be an object {format, costs?, summary?, …}')
    return { format: 'text' }
  }
  for (const key of Object.keys(output)) {
    if (
      ![
        'format',
        'events',
        'costs',
        'usd_per_million_tokens',
        'summary',
        'failed_when',
        'error',
      ].includes(key)
    ) {
      problems.push(`output.${key}: unknown field`)
    }
  }
  const format = String(output.format ?? 'text')
  if (!FORMATS.includes(format))
    problems.push(`output.format: must be one of ${FORMATS.join(', ')}`)
  if (output.events !== undefined) {
    if (
      !isObject(output.events) ||
      !Object.values(output.events).every((v) => typeof v === 'string')
    ) {
      problems.push('output.events: must be an object of field → string value')
    } else if (format !== 'jsonl') {
      problems.push('output.events: only for format "jsonl"')
    }
  }
  const paths = (field: string, value: unknown) => {
    if (value === undefined) return
    const list = Array.isArray(value) ? value : [value]
    if (list.length === 0 || !list.every((path) => typeof path === 'string' && path.trim())) {
      problems.push(`${field}: must be a path such as "usage.input_tokens" or a list of paths`)
    }
  }
  if (output.costs !== undefined) {
    if (!isObject(output.costs)) {
      problems.push('output.costs: must be an object {usd?, input_tokens?, output_tokens?, model?}')
    } else {
      for (const [key, value] of Object.entries(output.costs)) {
        if (!COST_KEYS.includes(key)) problems.push(`output.costs.${key}: unknown field`)
        else paths(`output.costs.${key}`, value)
      }
    }
  }
  const prices = output.usd_per_million_tokens
  if (prices !== undefined) {
    if (
      !isObject(prices) ||
      typeof prices.input !== 'number' ||
      typeof prices.output !== 'number' ||
      prices.input < 0 ||
      prices.output < 0
    ) {
      problems.push('output.usd_per_million_tokens: must be {input: number, output: number}')
    }
  }
  paths('output.summary', output.summary)
  paths('output.failed_when', output.failed_when)
  paths('output.error', output.error)
  return output as OutputSpec
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}
