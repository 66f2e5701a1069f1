import vine from '@vinejs/vine'
import { USER_ROLES } from '#models/user'

const email = () => vine.string().trim().toLowerCase().email().maxLength(254)

/** POST /users */
export const createUserValidator = vine.create({
  email: email().unique({ table: 'users', column: 'email', caseInsensitive: true }),
  full_name: vine.string().trim().minLength(1).maxLength(255),
  role: vine.enum(USER_ROLES),
  password: vine.string().minLength(12).maxLength(1024),
})

/** PUT /users/:id (a blank password keeps the current one). */
export const updateUserValidator = vine.create({
  full_name: vine.string().trim().minLength(1).maxLength(255),
  role: vine.enum(USER_ROLES),
  password: vine.string().minLength(12).maxLength(1024).nullable(),
})

/** PUT /account/password: the user's own new password, typed twice. */
export const ownPasswordValidator = vine.create({
  current_password: vine.string().maxLength(1024),
  password: vine
    .string()
    .minLength(12)
    .maxLength(1024)
    .confirmed({ confirmationField: 'password_confirmation' }),
})
