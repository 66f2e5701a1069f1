import type { Secret } from '@adonisjs/core/helpers'
import type { LucidModel } from '@adonisjs/lucid/types/model'
import { AccessToken, DbAccessTokensProvider } from '@adonisjs/auth/access_tokens'

/** How stale a token's last_used_at may get before a request records it again. */
const RECORD_USE_EVERY_MS = 60_000

/**
 * Access tokens as AdonisJS stores them, except that verifying one writes `last_used_at` at
 * most once a minute (the stock provider writes it on every request, before even checking
 * the secret): an agent heartbeating and streaming logs would otherwise cost a row update
 * per call. The admin pages show last use to the minute, which is all it is for.
 */
export default class AgentTokensProvider<
  TokenableModel extends LucidModel,
> extends DbAccessTokensProvider<TokenableModel> {
  async verify(tokenValue: Secret<string>) {
    const decoded = AccessToken.decode(this.prefix, tokenValue.release())
    if (!decoded) return null
    const client = await this.getDb()
    const row = await client
      .query()
      .from(this.table)
      .where({ id: decoded.identifier, type: this.type })
      .first()
    if (!row) return null

    const token = this.dbRowToAccessToken(row)
    if (!token.verify(decoded.secret) || token.isExpired()) return null

    const lastUsedAt = token.lastUsedAt ? new Date(token.lastUsedAt).getTime() : 0
    if (Date.now() - lastUsedAt >= RECORD_USE_EVERY_MS) {
      token.lastUsedAt = new Date()
      await client.from(this.table).where({ id: row.id }).update({ last_used_at: token.lastUsedAt })
    }
    return token
  }
}
