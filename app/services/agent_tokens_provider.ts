import type { Secret } from '@adonisjs/core/helpers'
import type { LucidModel } from '@adonisjs/lucid/types/model'
import type { TransactionClientContract } from '@adonisjs/lucid/types/database'
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

  /**
   * Issues a token inside the caller's transaction (the stock `create` uses its own
   * connection), so the token and the audit event recording it commit together.
   */
  async createWithin(
    trx: TransactionClientContract,
    tokenable: InstanceType<TokenableModel>,
    options: { name?: string | null; expiresInSeconds?: number | null } = {}
  ) {
    const transient = AccessToken.createTransientToken(
      tokenable.$primaryKeyValue!,
      this.tokenSecretLength,
      options.expiresInSeconds ?? undefined
    )
    const row = {
      tokenable_id: transient.userId,
      type: this.type,
      name: options.name || null,
      hash: transient.hash,
      abilities: JSON.stringify(['*']),
      created_at: new Date(),
      updated_at: new Date(),
      last_used_at: null,
      expires_at: transient.expiresAt || null,
    }
    const [{ id }] = await trx.table(this.table).insert(row).returning('id')
    return new AccessToken({
      identifier: id,
      tokenableId: row.tokenable_id as number,
      type: row.type,
      prefix: this.prefix,
      secret: transient.secret,
      name: row.name,
      hash: row.hash,
      abilities: ['*'],
      createdAt: row.created_at,
      updatedAt: row.updated_at,
      lastUsedAt: null,
      expiresAt: row.expires_at,
    })
  }
}
