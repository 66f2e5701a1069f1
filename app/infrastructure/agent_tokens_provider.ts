import type { Secret } from '@adonisjs/core/helpers'
import type { LucidModel, LucidRow } from '@adonisjs/lucid/types/model'
import type { TransactionClientContract } from '@adonisjs/lucid/types/database'
import type { LucidTokenable } from '@adonisjs/auth/types/access_tokens'
import {
  AccessToken,
  AccessTokensLucidUserProvider,
  DbAccessTokensProvider,
} from '@adonisjs/auth/access_tokens'
import { MAX_INTEGER } from '#database/column_limits'

/** How stale a token's last_used_at may get before a request records it again. */
const RECORD_USE_EVERY_MS = 60_000
/**
 * The stale last_used_at this process last replaced, per token (by its hash: ids are reused
 * after a truncate): the requests of a burst all loaded that same value, and only the first
 * of them writes.
 */
const useReplaced = new Map<string, number>()

/** The token's columns, read under these names beside the tokenable's own. */
const TOKEN_COLUMNS = [
  'id',
  'tokenable_id',
  'type',
  'name',
  'hash',
  'abilities',
  'created_at',
  'updated_at',
  'last_used_at',
  'expires_at',
] as const

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
    const verified = await this.verifyWithTokenable(tokenValue)
    return verified?.token ?? null
  }

  /**
   * `verify`, reading the token's owner (agent or project) in the same statement: the guard
   * would otherwise look it up by id in a second one. The checks are the token's own, on the
   * row just read, as before: revoked (no row), wrong secret, expired.
   */
  async verifyWithTokenable(tokenValue: Secret<string>) {
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
    const model = this.options.tokenableModel
    const { rows } = await client.rawQuery(
      `select o.*, ${TOKEN_COLUMNS.map((column) => `t.${column} as "token.${column}"`).join(', ')}
         from ${this.table} t join ${model.table} o on o.${model.primaryKey} = t.tokenable_id
        where t.id = ? and t.type = ?`,
      [decoded.identifier, this.type]
    )
    if (!rows.length) return null
    const tokenableRow: Record<string, unknown> = { ...rows[0] }
    const row: Record<string, any> = {}
    for (const column of TOKEN_COLUMNS) {
      row[column] = tokenableRow[`token.${column}`]
      delete tokenableRow[`token.${column}`]
    }

    const token = this.dbRowToAccessToken(row as Parameters<typeof this.dbRowToAccessToken>[0])
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
    return { token, tokenable: model.$createFromAdapterResult(tokenableRow)! }
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

/**
 * The tokens guard's user provider, with the token's owner read by `verifyToken` in the same
 * statement as the token (`AgentTokensProvider.verifyWithTokenable`). The guard asks
 * `findById` for it right after; the row is handed over once, to one request. Should two
 * requests of the same owner interleave, the second finds nothing handed over and looks it up
 * by id, as the stock provider does.
 */
export class TokenableUserProvider<
  TokenableProperty extends string,
  UserModel extends LucidTokenable<TokenableProperty>,
> extends AccessTokensLucidUserProvider<TokenableProperty, UserModel> {
  #readWithToken = new Map<string | number | BigInt, LucidRow>()

  async verifyToken(tokenValue: Secret<string>) {
    const tokens = (await this.getTokensProvider()) as unknown as AgentTokensProvider<UserModel>
    const verified = await tokens.verifyWithTokenable(tokenValue)
    if (!verified) return null
    this.#readWithToken.set(verified.token.tokenableId, verified.tokenable as LucidRow)
    return verified.token
  }

  async findById(identifier: string | number | bigint) {
    const tokenable = this.#readWithToken.get(identifier)
    if (!tokenable) return super.findById(identifier)
    this.#readWithToken.delete(identifier)
    return this.createUserForGuard(tokenable as InstanceType<UserModel>)
  }
}
