import type { HttpContext } from '@adonisjs/core/http'
import User from '#models/user'
import UserSession from '#models/user_session'
import UserPolicy from '#policies/user_policy'

/** A user's signed-in browsers: the user sees and ends their own, an admin anyone's. */
export default class UserSessionsController {
  async index({ bouncer, params, session, view }: HttpContext) {
    const user = await User.findOrFail(params.id)
    await bouncer.with(UserPolicy).authorize('manageSessions', user)
    const sessions = await UserSession.activeOf(user.id)
    return view.render('pages/user_sessions/index', {
      user,
      sessions,
      currentSessionId: session.sessionId,
    })
  }

  async destroy({ bouncer, params, session, response }: HttpContext) {
    const user = await User.findOrFail(params.id)
    await bouncer.with(UserPolicy).authorize('manageSessions', user)
    await UserSession.query().where('userId', user.id).where('id', params.sessionId).delete()
    session.flash('success', 'That session is ended: its browser is signed out.')
    return response.redirect().back()
  }
}
