import logger from '@adonisjs/core/services/logger'
import IdempotencyKey from '#models/idempotency_key'

/** Hourly: forgets Idempotency-Keys (and their stored answers) older than 24 hours. */
export default async function pruneIdempotencyKeys() {
  const pruned = await IdempotencyKey.prune()
  if (pruned > 0) logger.info({ pruned }, `pruned ${pruned} idempotency key(s)`)
}
