import vine from '@vinejs/vine'

/** POST /login. */
export const signInValidator = vine.create({
  email: vine.string().trim().maxLength(254),
  password: vine.string().maxLength(1024),
})
