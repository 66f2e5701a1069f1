import { randomBytes } from 'node:crypto'
import { args, flags } from '@adonisjs/core/ace'
import User, { MIN_PASSWORD_LENGTH, USER_ROLES } from '#models/user'
import GatehouseCommand from '#commands/_gatehouse_command'

/** `user:create <email> --role=…`: a person who signs in to the admin pages. */
export default class UserCreate extends GatehouseCommand {
  static commandName = 'user:create'
  static description =
    'Create a user of the admin pages (password prompted, given, or generated and printed once)'
  static help = [
    'user:create ada@example.com --role=maintainer --name="Ada Lovelace"',
    'On a terminal the password is prompted; otherwise pass --password or one is generated and printed once.',
  ]

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

  async run() {
    const { userCommandValidator } = await import('#validators/user')

    const input = await userCommandValidator.validate({
      email: this.email,
      role: this.role,
      full_name: this.name ?? this.email.split('@')[0],
      password: this.password,
    })
    const email = input.email
    if (await User.query().whereRaw('lower(email) = ?', [email]).first()) {
      return this.fail(`a user with email ${email} already exists`)
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

    const user = await User.register(
      { email, fullName: input.full_name, role: input.role, password },
      'system'
    )

    const outcome = {
      id: user.id,
      email,
      role: user.role,
      password: generated ? password : undefined,
    }
    this.output(outcome, () => {
      this.logger.success(`User ${email} created (${user.role})`)
      if (!generated) return
      this.logger.log(`Password: ${password}`)
      this.logger.warning(
        'Shown only this once: hand it over, and have it changed after the first sign-in'
      )
    })
  }

  protected describeInvalid(problem: { field: string; message: string }) {
    if (problem.field === 'role') return `--role must be one of ${USER_ROLES.join(', ')}`
    // Another process took the email between the check above and the insert.
    if (problem.field === 'email' && problem.message.includes('already been taken'))
      return `a user with email ${this.email.trim().toLowerCase()} already exists`
    return problem.message
  }
}
