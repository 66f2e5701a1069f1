import { createHash } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import db from '@adonisjs/lucid/services/db'
import { IdempotencyKeySchema } from '#database/schema'

/** Which kind of bearer token sent the key: keys of different tokens never meet. */
export type TokenKind = 'agent' | 'project'
export type KeyOwner = { kind: TokenKind; tokenId: number }

/** A stored first answer, replayed as it was. */
export type StoredAnswer = {
  statusCode: number
  headers: Record<string, string>
  body: unknown
}

export type Reservation =
  | { outcome: 'fresh'; id: number }
  | { outcome: 'replay'; answer: StoredAnswer }
  | { outcome: 'mismatch' }
  | { outcome: 'busy' }

/** How long a key is remembered (the pruning job deletes older rows; until then they are ignored). */
export const KEY_LIFETIME_HOURS = 24
/** A first request still unanswered after this long died with its process: the key is free again. */
const ABANDONED_AFTER_SECONDS = 120
/** How long a retry waits for the first request's answer (longer than the longest long-poll). */
const WAIT_FOR_FIRST_MS = 40_000

/**
 * `Idempotency-Key` (spec issue 15): the first request with a key does the work and its answer
 * is stored; a request with the same key from the same token gets that answer back, even when
 * it arrives while the first is still being answered (it waits for it).
 */
export default class IdempotencyKey extends IdempotencyKeySchema {
  /** The request's identity: method, path and body (objects compared by content, not key order). */
  static fingerprint(method: string, path: string, body: unknown) {
    return createHash('sha256')
      .update(`${method} ${path}\n${canonicalJson(body)}`)
      .digest('hex')
  }

  /** Claims the key for this request, or says what was answered to it before. */
  static async reserve(owner: KeyOwner, key: string, fingerprint: string): Promise<Reservation> {
    const deadline = Date.now() + WAIT_FOR_FIRST_MS
    while (true) {
      const inserted = await db.rawQuery(
        `insert into idempotency_keys (token_kind, token_id, key, fingerprint)
         values (?, ?, ?, ?)
         on conflict (token_kind, token_id, key) do nothing
         returning id`,
        [owner.kind, owner.tokenId, key, fingerprint]
      )
      if (inserted.rows.length > 0) return { outcome: 'fresh', id: Number(inserted.rows[0].id) }

      const row = await db
        .from('idempotency_keys')
        .where({ token_kind: owner.kind, token_id: owner.tokenId, key })
        .select(
          'id',
          'fingerprint',
          'status_code',
          'response_headers',
          'response_body',
          db.raw(`created_at < now() - make_interval(hours => ?) as expired`, [KEY_LIFETIME_HOURS]),
          db.raw(
            `(status_code is null and created_at < now() - make_interval(secs => ?)) as abandoned`,
            [ABANDONED_AFTER_SECONDS]
          )
        )
        .first()
      if (!row) continue
      if (row.expired || row.abandoned) {
        await db.from('idempotency_keys').where('id', row.id).delete()
        continue
      }
      if (row.fingerprint !== fingerprint) return { outcome: 'mismatch' }
      if (row.status_code !== null) {
        return {
          outcome: 'replay',
          answer: {
            statusCode: row.status_code,
            headers: row.response_headers ?? {},
            body: row.response_body,
          },
        }
      }
      if (Date.now() > deadline) return { outcome: 'busy' }
      await sleep(100)
    }
  }

  /** Stores the first answer for the key's retries. */
  static async store(id: number, answer: StoredAnswer) {
    await db
      .from('idempotency_keys')
      .where('id', id)
      .update({
        status_code: answer.statusCode,
        response_headers: JSON.stringify(answer.headers),
        response_body: answer.body === undefined ? null : JSON.stringify(answer.body),
        completed_at: db.raw('now()'),
      })
  }

  /** The first request did nothing a retry must not redo (it failed): its key is free again. */
  static async release(id: number) {
    await db.from('idempotency_keys').where('id', id).whereNull('status_code').delete()
  }
}

/** JSON with object keys sorted. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`
  if (value && typeof value === 'object' && !(value instanceof Date)) {
    const entries = Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`
  }
  return JSON.stringify(value ?? null)
}
