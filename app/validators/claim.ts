import vine from '@vinejs/vine'

/** POST /api/v1/claims (spec §5). */
export const claimValidator = vine.create({
  work_types: vine.array(vine.string().trim().minLength(1).maxLength(64)).minLength(1).optional(),
  project: vine
    .string()
    .trim()

    .exists({ table: 'projects', column: 'slug' })
    .optional(),
  wait_seconds: vine.number().withoutDecimals().range([0, 30]).optional(),
})
