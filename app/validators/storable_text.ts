import vine from '@vinejs/vine'

/**
 * Refuses the NUL character anywhere in a value (strings, object keys, nested JSON): Postgres
 * stores it in neither text nor jsonb, so it would fail the insert as a 500 instead of a 422.
 */
export const storableText = vine.createRule((value, _options, field) => {
  if (containsNul(value)) {
    field.report('The {{ field }} field must not contain NUL characters', 'storableText', field)
  }
})

function containsNul(value: unknown): boolean {
  if (typeof value === 'string') return value.includes('\u0000')
  if (Array.isArray(value)) return value.some(containsNul)
  if (value !== null && typeof value === 'object') {
    return Object.entries(value).some(
      ([key, nested]) => key.includes('\u0000') || containsNul(nested)
    )
  }
  return false
}
