/**
 * A row id in an admin URL. Ids are Postgres `integer`s: a longer number cannot name a row,
 * and sent to the database it fails as "out of range" (a 500), so such a URL matches no route
 * (a 404) instead.
 */
export const rowId = { match: /^[0-9]{1,9}$/, cast: (value: string) => Number(value) }
