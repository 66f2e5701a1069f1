import { readFile } from 'node:fs/promises'
import { resolve } from 'node:path'
import { args, flags } from '@adonisjs/core/ace'
import GatehouseCommand from '#commands/_gatehouse_command'
import type { SeedProblem } from '#services/agent_seed'

export const DEFAULT_AGENTS_FILE = 'config/agents.json'

/** `agents:seed [file]`: the agents a JSON file declares, upserted by key (spec §8). */
export default class AgentsSeed extends GatehouseCommand {
  static commandName = 'agents:seed'
  static description = `Create or update agents from a JSON file (default ${DEFAULT_AGENTS_FILE}); idempotent`
  static help = [
    'The file is an array of agents: key, name, description, capabilities {work_types, tags},',
    'model_name, model_version, max_concurrency, enabled. See config/agents.example.json.',
    'Every entry is checked before anything is written; one bad entry changes nothing.',
  ]

  @args.string({
    description: `JSON file of agents (default ${DEFAULT_AGENTS_FILE})`,
    required: false,
  })
  declare file?: string

  @flags.boolean({
    description: 'Issue a token to each agent of the file that has none (printed once)',
  })
  declare tokens: boolean

  @flags.boolean({ description: 'Disable enabled agents the file does not name (never deletes)' })
  declare prune: boolean

  async run() {
    const { default: AgentSeed, InvalidSeedFile } = await import('#services/agent_seed')
    const path = this.file ? resolve(this.file) : this.app.makePath(DEFAULT_AGENTS_FILE)

    let text: string
    try {
      text = await readFile(path, 'utf8')
    } catch (error) {
      const hint = this.file ? '' : ' (copy config/agents.example.json to start)'
      return this.fail(
        `cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}${hint}`,
        { problems: [] }
      )
    }

    let definitions
    try {
      definitions = await AgentSeed.parse(text)
    } catch (error) {
      if (!(error instanceof InvalidSeedFile)) throw error
      const { problems } = error
      return this.fail(
        `${path}: ${problems.length} problem(s); nothing changed`,
        { problems },
        () => problems.forEach((problem) => this.logger.error(describe(problem)))
      )
    }

    const outcome = await AgentSeed.apply(definitions, { prune: this.prune, tokens: this.tokens })
    if (this.json) {
      this.logger.log(JSON.stringify(outcome))
      return
    }

    const changed = outcome.changes.filter((change) => change.change !== 'unchanged')
    const table = this.ui.table()
    table.head(['Agent', 'Change', 'Fields'])
    for (const change of outcome.changes) {
      table.row([change.key, change.change, change.fields.join(', ')])
    }
    table.render()
    if (outcome.tokens.length > 0) {
      const tokens = this.ui.table()
      tokens.head(['Agent', 'Token id', 'Token (shown once)'])
      for (const token of outcome.tokens)
        tokens.row([token.key, String(token.tokenId), token.value])
      tokens.render()
      this.logger.warning('Store these tokens now: they are not shown again')
    }
    if (changed.length === 0 && outcome.tokens.length === 0) {
      this.logger.info(
        `Nothing to change: ${outcome.changes.length} agent(s) already as the file says`
      )
    } else {
      this.logger.success(
        `${changed.length} agent(s) changed, ${outcome.tokens.length} token(s) issued`
      )
    }
  }
}

function describe(problem: SeedProblem) {
  const where = [
    problem.entry !== null ? `entry ${problem.entry}` : null,
    problem.line !== null ? `line ${problem.line}` : null,
  ].filter(Boolean)
  const field = problem.field ? `${problem.field}: ` : ''
  return `${where.length ? `${where.join(', ')}: ` : ''}${field}${problem.message}`
}
