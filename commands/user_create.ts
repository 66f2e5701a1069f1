import { randomBytes } from 'node:crypto'
import { BaseCommand, args, flags } from '@adonisjs/core/ace'
import type { CommandOptions } from '@adonisjs/core/types/ace'

const MIN_PASSWORD_LENGTH = 12

/** `user:create <email> --role=…`: a person who signs in to the admin pages. */
export default class UserCreate extends BaseCommand {
  static commandName = 'user:create'
  static description =
    'Create a user of the admin pages (password prompted, given, or generated and printed once)'
  static help = [
    'user:create ada@example.com --role=maintainer --name="Ada Lovelace"',
    'On a terminal the password is prompted; otherwise pass --password or one is generated and printed once.',
  ]
  static options: CommandOptions = { startApp: true }

  @args.string({ description: 'Email address (sign-in name)' })
  declare email: string

  @flags.string({ description: 'admin, maintainer, reviewer or viewer' })
  declare role?: string

  @flags.string({ description: 'Full name (default: the part of the email before @)' })
  declare name?: string

  @flags.string({
    description: `Password (at least ${MIN_PASSWORD_LENGTH} characters); avoid it in shared shells' history`,
  })
  declare password?: string

  @flags.boolean({ description: 'Print the outcome as JSON' })
  declare json: boolean

  async run() {
    const { default: vine, errors } = await import('@vinejs/vine')
    const { default: db } = await import('@adonisjs/lucid/services/db')
    const { default: User, USER_ROLES } = await import('#models/user')
    const { default: AuditEvent } = await import('#models/audit_event')

    const validator = vine.create({
      email: vine.string().trim().email().maxLength(254),
      role: vine.enum(USER_ROLES),
      full_name: vine.string().trim().minLength(1).maxLength(255),
      password: vine.string().minLength(MIN_PASSWORD_LENGTH).maxLength(512).optional(),
    })
    let input
    try {
      input = await validator.validate({
        email: this.email,
        role: this.role,
        full_name: this.name ?? this.email.split('@')[0],
        password: this.password,
      })
    } catch (error) {
      if (!(error instanceof errors.E_VALIDATION_ERROR)) throw error
      const messages = error.messages as { field: string; message: string }[]
      return this.#fail(
        messages
          .map((m) =>
            m.field === 'role' ? `--role must be one of ${USER_ROLES.join(', ')}` : m.message
          )
          .join('; ')
      )
    }

    const email = input.email.toLowerCase()
    if (await User.query().whereRaw('lower(email) = ?', [email]).first()) {
      return this.#fail(`a user with email ${email} already exists`)
    }

    let password = input.password
    let generated = false
    if (!password && process.stdin.isTTY && !this.json) {
      password = await this.prompt.secure('Password', {
        validate: (value) =>
          value.length >= MIN_PASSWORD_LENGTH || `At least ${MIN_PASSWORD_LENGTH} characters`,
      })
    }
    if (!password) {
      password = randomBytes(15).toString('base64url')
      generated = true
    }

    const user = await db
      .transaction(async (trx) => {
        const created = await User.create(
          { email, fullName: input.full_name, role: input.role, password, isActive: true },
          { client: trx }
        )
        await AuditEvent.record(trx, {
          actor: 'system',
          action: 'user.created',
          subject: created,
          details: { email, role: created.role, via: 'ace user:create' },
        })
        return created
      })
      .catch((error) => {
        if ((error as { code?: string }).code === '23505') return null
        throw error
      })
    if (!user) return this.#fail(`a user with email ${email} already exists`)

    if (this.json) {
      return this.logger.log(
        JSON.stringify({
          id: user.id,
          email,
          role: user.role,
          password: generated ? password : undefined,
        })
      )
    }
    this.logger.success(`User ${email} created (${user.role})`)
    if (generated) {
      this.logger.log(`Password: ${password}`)
      this.logger.warning(
        'Shown only this once: hand it over, and have it changed after the first sign-in'
      )
    }
  }

  #fail(reason: string) {
    this.exitCode = 1
    if (this.json) this.logger.log(JSON.stringify({ error: reason }))
    else this.logger.error(reason)
  }
}
