/**
 * Text Postgres can store: no NUL (neither text nor jsonb take it) and no unpaired UTF-16
 * surrogate (not valid Unicode; jsonb refuses its escape). Requests carrying either are refused
 * by the request input middleware; signed webhooks have them replaced instead.
 */

export function isStorableString(value: string) {
  return !value.includes('\u0000') && value.isWellFormed()
}

/** The path (`payload.title`, `data.0.message`) of the first unstorable string, key or value. */
export function unstorableField(value: unknown, path = ''): string | null {
  if (typeof value === 'string') return isStorableString(value) ? null : path
  if (value === null || typeof value !== 'object') return null
  for (const [key, nested] of Object.entries(value)) {
    const nestedPath = path ? `${path}.${key}` : key
    if (!isStorableString(key)) return nestedPath
    const found = unstorableField(nested, nestedPath)
    if (found !== null) return found
  }
  return null
}

/** The same value with NUL and unpaired surrogates replaced by U+FFFD, keys included. */
export function toStorable<T>(value: T): T {
  if (typeof value === 'string') {
    return (
      isStorableString(value) ? value : value.replaceAll('\u0000', '\uFFFD').toWellFormed()
    ) as T
  }
  if (Array.isArray(value)) return value.map((item) => toStorable(item)) as T
  if (value === null || typeof value !== 'object') return value
  return Object.fromEntries(
    Object.entries(value).map(([key, nested]) => [toStorable(key), toStorable(nested)])
  ) as T
}
