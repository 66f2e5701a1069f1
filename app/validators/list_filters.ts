/**
 * A list's filter form sends "All …" as an empty value: that is no filter, not an invalid one.
 * (The body parser turns empty form fields into null; nothing does it for a query string.)
 */
export function filledParams(qs: Record<string, unknown>) {
  return Object.fromEntries(
    Object.entries(qs).filter(([, value]) => value !== '' && value !== null)
  )
}
