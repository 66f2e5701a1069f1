import db from '@adonisjs/lucid/services/db'
import { errors as vineErrors } from '@vinejs/vine'
import Agent from '#models/agent'
import type { Actor } from '#models/audit_event'
import {
  agentDefinition,
  agentDefinitionValidator,
  definedAgent,
  type AgentDefinition,
} from '#validators/agent'

/** One thing wrong with a seed file; `entry` is the 0-based index in the array. */
export type SeedProblem = {
  entry: number | null
  line: number | null
  field: string | null
  message: string
}

export type SeedChange = {
  key: string
  change: 'created' | 'updated' | 'enabled' | 'disabled' | 'unchanged'
  fields: string[]
}

export type SeedOutcome = {
  changes: SeedChange[]
  /** Tokens issued by `--tokens`: the only time their values are readable. */
  tokens: { key: string; tokenId: number; value: string }[]
}

export class InvalidSeedFile extends Error {
  constructor(readonly problems: SeedProblem[]) {
    super(`${problems.length} problem(s) in the agents file`)
  }
}

const KNOWN_FIELDS = new Set(Object.keys(agentDefinition.getProperties()))

/**
 * `agents:seed`: the agents a JSON file declares (an array of agent definitions), upserted by
 * key in one transaction. The whole file is checked before anything is written: every problem
 * is reported with its entry, line and field, and one bad entry changes nothing.
 */
export default class AgentSeed {
  /** Parses and validates a file's text; throws InvalidSeedFile listing every problem. */
  static async parse(text: string): Promise<AgentDefinition[]> {
    let document: unknown
    try {
      document = JSON.parse(text)
    } catch (error) {
      throw new InvalidSeedFile([
        {
          entry: null,
          line: lineOfJsonError(text, error as Error),
          field: null,
          message: `invalid JSON: ${(error as Error).message}`,
        },
      ])
    }
    if (!Array.isArray(document)) {
      throw new InvalidSeedFile([
        { entry: null, line: 1, field: null, message: 'the file must hold a JSON array of agents' },
      ])
    }

    const lines = entryLines(text)
    const problems: SeedProblem[] = []
    const definitions: AgentDefinition[] = []
    const firstEntryOfKey = new Map<string, number>()
    for (const [entry, candidate] of document.entries()) {
      const at = { entry, line: lines[entry] ?? null }
      if (!candidate || typeof candidate !== 'object' || Array.isArray(candidate)) {
        problems.push({ ...at, field: null, message: 'must be an object' })
        continue
      }
      for (const field of Object.keys(candidate)) {
        if (!KNOWN_FIELDS.has(field))
          problems.push({ ...at, field, message: 'is not a known field' })
      }
      const key = (candidate as { key?: unknown }).key
      if (typeof key === 'string') {
        const normalised = key.trim()
        const earlier = firstEntryOfKey.get(normalised)
        if (earlier !== undefined) {
          problems.push({
            ...at,
            field: 'key',
            message: `duplicate key "${normalised}" (first at entry ${earlier})`,
          })
        } else {
          firstEntryOfKey.set(normalised, entry)
        }
      }
      try {
        definitions.push(await agentDefinitionValidator.validate(candidate))
      } catch (error) {
        if (!(error instanceof vineErrors.E_VALIDATION_ERROR)) throw error
        for (const message of error.messages as { field: string; message: string }[]) {
          problems.push({ ...at, field: message.field, message: message.message })
        }
      }
    }
    if (problems.length > 0) throw new InvalidSeedFile(problems)
    return definitions
  }

  /**
   * Creates missing agents, updates changed ones; with `prune`, disables agents the file does
   * not name; with `tokens`, issues a token to each declared agent that has no usable one.
   */
  static async apply(
    definitions: AgentDefinition[],
    options: { prune?: boolean; tokens?: boolean; actor?: Actor } = {}
  ): Promise<SeedOutcome> {
    const actor = options.actor ?? 'system'
    return db.transaction(async (trx) => {
      // Two seeds at once would race on the unique key; the second waits and sees the first.
      await trx.rawQuery('select pg_advisory_xact_lock(hashtext(?))', ['gatehouse:agents-seed'])
      const agents = await Agent.query({ client: trx }).forUpdate()
      const existing = new Map(agents.map((agent) => [agent.key, agent]))
      const outcome: SeedOutcome = { changes: [], tokens: [] }

      const inSeed = { client: trx }
      for (const definition of definitions) {
        const { enabled, ...profile } = definedAgent(definition)
        let agent = existing.get(definition.key)
        if (!agent) {
          agent = await Agent.register(actor, { ...profile, enabled }, inSeed)
          outcome.changes.push({ key: agent.key, change: 'created', fields: [] })
        } else {
          const fields: string[] = await agent.updateProfile(actor, profile, inSeed)
          // A file without "enabled" leaves alone an agent a person disabled or enabled.
          if (enabled !== undefined && enabled !== agent.enabled) {
            await (enabled ? agent.enable(actor, inSeed) : agent.disable(actor, inSeed))
            fields.push('enabled')
          }
          outcome.changes.push({
            key: agent.key,
            change: fields.length === 0 ? 'unchanged' : 'updated',
            fields,
          })
        }
        if (options.tokens && agent.enabled && !(await agent.hasUsableToken(trx))) {
          const token = await agent.issueToken(actor, { name: 'seed' }, inSeed)
          outcome.tokens.push({
            key: agent.key,
            tokenId: Number(token.identifier),
            value: token.value!.release(),
          })
        }
      }

      if (options.prune) {
        const declared = new Set(definitions.map((definition) => definition.key))
        for (const agent of existing.values()) {
          if (declared.has(agent.key) || !agent.enabled) continue
          await agent.disable(actor, {
            ...inSeed,
            reason: 'not in the agents file (agents:seed --prune)',
          })
          outcome.changes.push({ key: agent.key, change: 'disabled', fields: ['enabled'] })
        }
      }
      return outcome
    })
  }
}

/** The 1-based line where each element of the top-level array starts. */
function entryLines(text: string) {
  const lines: number[] = []
  let line = 1
  let depth = 0
  let inString = false
  let expectingValue = false
  for (let i = 0; i < text.length; i++) {
    const char = text[i]
    if (char === '\n') line++
    if (inString) {
      if (char === '\\') i++
      else if (char === '"') inString = false
      continue
    }
    if (depth === 1 && expectingValue && !/\s/.test(char) && char !== ']') {
      lines.push(line)
      expectingValue = false
    }
    if (char === '"') inString = true
    else if (char === '[' || char === '{') {
      depth++
      if (depth === 1) expectingValue = true
    } else if (char === ']' || char === '}') depth--
    else if (char === ',' && depth === 1) expectingValue = true
  }
  return lines
}

/** Node's JSON.parse messages name a position ("… at position 42"): turn it into a line. */
function lineOfJsonError(text: string, error: Error) {
  const line = /line (\d+)/.exec(error.message)
  if (line) return Number(line[1])
  const position = /position (\d+)/.exec(error.message)
  if (!position) return null
  return text.slice(0, Number(position[1])).split('\n').length
}
