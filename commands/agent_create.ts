import { args, flags } from '@adonisjs/core/ace'
import GatehouseCommand from '#commands/_gatehouse_command'

/** `agent:create <key>`: one agent from flags, optionally with its first token. */
export default class AgentCreate extends GatehouseCommand {
  static commandName = 'agent:create'
  static description = 'Create an agent (and, with --token, its first token, printed once)'
  static help = [
    'agent:create codex-coder --name="Codex coder" --work-types=code,fix_ci --max-concurrency=2 --token',
  ]

  @args.string({ description: 'Agent key (lowercase letters, digits, - and _)' })
  declare key: string

  @flags.string({ description: 'Display name (default: the key)' })
  declare name?: string

  @flags.string({ description: 'What the agent is for' })
  declare description?: string

  @flags.array({ description: 'Work types it accepts, comma separated (default: * for all)' })
  declare workTypes?: string[]

  @flags.array({ description: 'Free tags, comma separated' })
  declare tags?: string[]

  @flags.string({ description: 'Model name, e.g. claude-sonnet' })
  declare model?: string

  @flags.string({ description: 'Model version' })
  declare modelVersion?: string

  @flags.number({ description: 'Runs it may hold at once (default 1)' })
  declare maxConcurrency?: number

  @flags.array({
    description: 'Slugs of the only projects it may claim from, comma separated (default: all)',
  })
  declare projects?: string[]

  @flags.boolean({ description: 'Create it disabled' })
  declare disabled: boolean

  @flags.boolean({ description: 'Also issue a token (printed once)' })
  declare token: boolean

  async run() {
    const { default: db } = await import('@adonisjs/lucid/services/db')
    const { default: Agent } = await import('#models/agent')
    const { default: Project } = await import('#models/project')
    const { agentDefinitionValidator, definedAgent } = await import('#validators/agent')

    const split = (values?: string[]) =>
      values
        ?.flatMap((value) => value.split(','))
        .map((v) => v.trim())
        .filter(Boolean)
    const definition = await agentDefinitionValidator.validate({
      key: this.key,
      name: this.name ?? this.key,
      description: this.description,
      capabilities: { work_types: split(this.workTypes) ?? ['*'], tags: split(this.tags) ?? [] },
      model_name: this.model,
      model_version: this.modelVersion,
      max_concurrency: this.maxConcurrency,
      projects: split(this.projects),
      enabled: !this.disabled,
    })

    const outcome = await db
      .transaction(async (trx) => {
        if (await Agent.query({ client: trx }).where('key', definition.key).first()) return null
        const projectIds = await Project.idsOfSlugs(definition.projects ?? [], trx)
        const agent = await Agent.register('system', definedAgent(definition, projectIds), {
          client: trx,
        })
        const token = this.token
          ? await agent.issueToken('system', { name: 'agent:create' }, { client: trx })
          : null
        return { agent, token }
      })
      // Another process created the same key in the meantime.
      .catch((error) => {
        if ((error as { code?: string }).code === '23505') return null
        throw error
      })
    if (!outcome)
      return this.fail(
        `an agent with key "${definition.key}" already exists (agents:seed updates agents)`
      )

    const { agent, token } = outcome
    const value = token?.value!.release() ?? null
    const outcomeJson = {
      agent: agent.serialize(),
      token: value,
      token_id: token ? Number(token.identifier) : null,
    }
    this.output(outcomeJson, () => {
      this.logger.success(
        `Agent "${agent.key}" created (max concurrency ${agent.maxConcurrency}, work types ${agent.capabilities.work_types.join(', ')})`
      )
      if (value) {
        this.logger.log(value)
        this.logger.warning(`Token ${token!.identifier}: store it now, it is not shown again`)
      }
    })
  }
}
