import type { Secret } from '@adonisjs/core/helpers'
import type { LucidModel } from '@adonisjs/lucid/types/model'
import type { TransactionClientContract } from '@adonisjs/lucid/types/database'
import { AccessToken, DbAccessTokensProvider } from '@adonisjs/auth/access_tokens'
import { MAX_INTEGER } from '#database/column_limits'

/** How stale a token's last_used_at may get before a request records it again. */
const RECORD_USE_EVERY_MS = 60_000
/**
 * The stale last_used_at this process last replaced, per token (by its hash: ids are reused
 * after a truncate): the requests of a burst all loaded that same value, and only the first
 * of them writes.
 */
const useReplaced = new Map<string, number>()

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
    // The id part is whatever the caller sent: only a token id the column can hold is looked up.
    if (
      !decoded ||
      !/^[1-9][0-9]{0,9}$/.test(decoded.identifier) ||
      Number(decoded.identifier) > MAX_INTEGER
    ) {
      return null
    }
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
    if (
      Date.now() - lastUsedAt >= RECORD_USE_EVERY_MS &&
      useReplaced.get(row.hash) !== lastUsedAt
    ) {
      useReplaced.set(row.hash, lastUsedAt)
      token.lastUsedAt = new Date()
      await client.from(this.table).where({ id: row.id }).update({ last_used_at: token.lastUsedAt })
    }
    return token
  }

  /**
   * `create`, inside the caller's transaction: the stock method uses its own connection, so a
   * token issued with an audit event (or by a seed that may roll back) would escape it.
   */
  async createWithin(
    trx: TransactionClientContract,
    tokenable: InstanceType<TokenableModel>,
    options: {
      name?: string | null
      expiresIn?: string | number | null
      abilities?: string[]
    } = {}
  ) {
    const abilities = options.abilities ?? ['*']
    const transient = AccessToken.createTransientToken(
      tokenable.$primaryKeyValue as number,
      this.tokenSecretLength,
      options.expiresIn ?? undefined
    )
    const now = new Date()
    const row = {
      tokenable_id: transient.userId,
      type: this.type,
      name: options.name ?? null,
      hash: transient.hash,
      abilities: JSON.stringify(abilities),
      created_at: now,
      updated_at: now,
      last_used_at: null,
      expires_at: transient.expiresAt ?? null,
    }
    const [inserted] = await trx.table(this.table).insert(row).returning('id')
    return new AccessToken({
      identifier: typeof inserted === 'object' ? inserted.id : inserted,
      tokenableId: row.tokenable_id,
      type: row.type,
      prefix: this.prefix,
      secret: transient.secret,
      name: row.name,
      hash: row.hash,
      abilities,
      createdAt: now,
      updatedAt: now,
      lastUsedAt: null,
      expiresAt: row.expires_at,
    })
  }
}
