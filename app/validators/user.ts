import vine from '@vinejs/vine'
import { MIN_PASSWORD_LENGTH, USER_ROLES } from '#models/user'

/** A user's fields, as the pages and `user:create` both check them. */
export const userFields = {
  email: () => vine.string().trim().toLowerCase().email().maxLength(254),
  fullName: () => vine.string().trim().minLength(1).maxLength(255),
  role: () => vine.enum(USER_ROLES),
  password: () => vine.string().minLength(MIN_PASSWORD_LENGTH).maxLength(1024),
}

/** POST /users */
export const createUserValidator = vine.create({
  email: userFields.email().unique({ table: 'users', column: 'email', caseInsensitive: true }),
  full_name: userFields.fullName(),
  role: userFields.role(),
  password: userFields.password(),
})

/** PUT /users/:id (a blank password keeps the current one). */
export const updateUserValidator = vine.create({
  full_name: userFields.fullName(),
  role: userFields.role(),
  password: userFields.password().nullable(),
})

/** `user:create`: the password may be left to a prompt or to the command. */
export const userCommandValidator = vine.create({
  email: userFields.email(),
  role: userFields.role(),
  full_name: userFields.fullName(),
  password: userFields.password().optional(),
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
