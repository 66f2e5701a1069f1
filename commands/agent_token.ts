import { args, flags } from '@adonisjs/core/ace'
import GatehouseCommand from '#commands/_gatehouse_command'
import string from '@adonisjs/core/helpers/string'

const MAX_EXPIRES_IN_SECONDS = 100 * 365 * 86_400

/** `agent:token <key>`: issue a token (printed once), list, or revoke an agent's tokens. */
export default class AgentToken extends GatehouseCommand {
  static commandName = 'agent:token'
  static description = "Issue (printed once), list or revoke an agent's API tokens"
  static help = [
    'agent:token claude-coder --name=laptop --expires-in=30d   issue a token',
    'agent:token claude-coder --list                           list tokens (never their values)',
    'agent:token claude-coder --revoke=12 | --revoke-all        revoke',
  ]

  @args.string({ description: 'Agent key' })
  declare key: string

  @flags.string({ description: 'A name for the new token (where it is used)' })
  declare name?: string

  @flags.string({
    description: 'Lifetime of the new token, e.g. 30d, 12h, "90 days" (default: no expiry)',
  })
  declare expiresIn?: string

  @flags.number({ description: 'Revoke the token with this id' })
  declare revoke?: number

  @flags.boolean({ description: 'Revoke every token of the agent' })
  declare revokeAll: boolean

  @flags.boolean({ description: 'List the tokens of the agent' })
  declare list: boolean

  async run() {
    const { default: Agent } = await import('#models/agent')

    const modes = [this.revoke !== undefined, this.revokeAll, this.list].filter(Boolean).length
    if (modes > 1) return this.fail('use one of --revoke, --revoke-all and --list')
    if (this.revoke !== undefined && !(Number.isInteger(this.revoke) && this.revoke > 0)) {
      return this.fail('--revoke takes a token id (a positive whole number)')
    }
    if (modes === 1 && (this.name !== undefined || this.expiresIn !== undefined)) {
      return this.fail('--name and --expires-in only apply when issuing a token')
    }
    let expiresIn: number | undefined
    if (this.expiresIn !== undefined) {
      try {
        expiresIn = string.seconds.parse(this.expiresIn)
      } catch {
        expiresIn = undefined
      }
      if (!expiresIn || expiresIn <= 0) {
        return this.fail(
          `--expires-in: "${this.expiresIn}" is not a duration (e.g. 30d, 12h, "90 days")`
        )
      }
      // Far enough for anyone; further would overflow a date (an insert error, not a message).
      if (expiresIn > MAX_EXPIRES_IN_SECONDS) return this.fail('--expires-in: at most 100 years')
    }

    const agent = await Agent.findBy('key', this.key)
    if (!agent) return this.fail(`no agent with key "${this.key}"`)

    if (this.list) {
      // Oldest first, in the columns' own names (the --json output)
      const summaries = await agent.tokenSummaries()
      const tokens = summaries.reverse().map((token) => ({
        id: token.id,
        name: token.name,
        created_at: token.createdAt,
        last_used_at: token.lastUsedAt,
        expires_at: token.expiresAt,
      }))
      if (this.json) return this.logger.log(JSON.stringify({ agent: agent.key, tokens }))
      if (tokens.length === 0) return this.logger.info(`Agent "${agent.key}" has no token`)
      const table = this.ui.table()
      table.head(['Id', 'Name', 'Created', 'Last used', 'Expires'])
      for (const token of tokens) {
        table.row([
          String(token.id),
          token.name ?? '',
          minutes(token.created_at),
          minutes(token.last_used_at) || 'never',
          minutes(token.expires_at) || 'never',
        ])
      }
      table.render()
      return
    }

    if (this.revoke !== undefined || this.revokeAll) {
      const revoked = await agent.revokeTokens('system', this.revoke ?? 'all')
      if (this.revoke !== undefined && revoked.length === 0) {
        return this.fail(`agent "${agent.key}" has no token with id ${this.revoke}`)
      }
      if (this.json) return this.logger.log(JSON.stringify({ agent: agent.key, revoked }))
      this.logger.success(
        `Revoked ${revoked.length} token(s) of "${agent.key}"${revoked.length ? `: ${revoked.join(', ')}` : ''}`
      )
      return
    }

    const token = await agent.issueToken('system', { name: this.name ?? null, expiresIn })
    const value = token.value!.release()
    const expiresAt = token.expiresAt?.toISOString() ?? null
    if (this.json) {
      return this.logger.log(
        JSON.stringify({
          agent: agent.key,
          id: Number(token.identifier),
          token: value,
          expires_at: expiresAt,
        })
      )
    }
    if (!agent.enabled)
      this.logger.warning(`Agent "${agent.key}" is disabled: the token works once it is enabled`)
    this.logger.log(value)
    this.logger.success(
      `Token ${token.identifier} issued to "${agent.key}"${expiresAt ? `, expires ${expiresAt}` : ''}. It is shown only this once.`
    )
  }
}

function minutes(value: Date | string | null) {
  return value ? new Date(value).toISOString().slice(0, 16).replace('T', ' ') : ''
}
