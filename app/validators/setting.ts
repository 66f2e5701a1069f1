import vine from '@vinejs/vine'

/** PUT /settings: the kill switch and the global cap (blank = no cap). */
export const settingsValidator = vine.create({
  // An unticked checkbox sends nothing.
  agents_enabled: vine.boolean().parse((value) => value ?? false),
  max_parallel_runs: vine.number().withoutDecimals().range([1, 100_000]).nullable(),
})
