/**
 * Bounds of the key columns. A larger number sent to Postgres fails there as "out of range"
 * (a 500), so routes and validators refuse it first.
 */

/** The largest value of an `integer` column: ids and log seqs. */
export const MAX_INTEGER = 2_147_483_647

/** The largest `bigint` key a JavaScript number still holds exactly (audit event ids). */
export const MAX_SAFE_BIGINT = Number.MAX_SAFE_INTEGER
