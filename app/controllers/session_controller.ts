import type { HttpContext } from '@adonisjs/core/http'
import { urlFor } from '@adonisjs/core/services/url_builder'
import SignIn, { SignInRefused } from '#services/sign_in'
import { signInValidator } from '#validators/session'

const REFUSAL_MESSAGES = {
  invalid_credentials: 'Wrong email or password.',
  deactivated: 'This account is deactivated. Ask an admin to reactivate it.',
  throttled: 'Too many failed attempts. Try again later.',
} as const

/** Signing in and out of the admin pages (session guard). */
export default class SessionController {
  async create({ view }: HttpContext) {
    return view.render('pages/session/create')
  }

  async store({ request, auth, session, response, view }: HttpContext) {
    const { email, password } = await request.validateUsing(signInValidator)
    try {
      const user = await SignIn.attempt({ email, password, ip: request.ip() })
      await auth.use('web').login(user)
      return response.redirect().toIntended(urlFor('dashboard'))
    } catch (error) {
      if (!(error instanceof SignInRefused)) throw error
      if (error.reason === 'throttled') {
        response.header('Retry-After', String(error.retryAfterSeconds)).status(429)
        return view.render('pages/session/create', { email, refusal: REFUSAL_MESSAGES.throttled })
      }
      session.flashOnly(['email'])
      session.flash('error', REFUSAL_MESSAGES[error.reason])
      return response.redirect().toRoute('session.create')
    }
  }

  async destroy({ auth, request, session, response }: HttpContext) {
    const user = auth.use('web').user
    await auth.use('web').logout()
    // A new id: the old one's row is deleted, so a copy of the cookie opens nothing.
    session.regenerate()
    if (user) await SignIn.signOut(user, request.ip())
    return response.redirect().toRoute('session.create')
  }
}
