import type { HttpContext } from '@adonisjs/core/http'
import User from '#models/user'
import UserPolicy from '#policies/user_policy'

/** Deactivating a user (store) and reactivating them (destroy). */
export default class UserDeactivationsController {
  async store({ bouncer, params, request, auth, session, response }: HttpContext) {
    const user = await User.findOrFail(params.id)
    await bouncer.with(UserPolicy).authorize('deactivate', user)
    await user.deactivate(auth.use('web').getUserOrFail(), request.ip())
    session.flash('success', `${user.fullName} is deactivated and can no longer sign in.`)
    return response.redirect().toRoute('users.index')
  }

  async destroy({ bouncer, params, request, auth, session, response }: HttpContext) {
    const user = await User.findOrFail(params.id)
    await bouncer.with(UserPolicy).authorize('deactivate', user)
    await user.reactivate(auth.use('web').getUserOrFail(), request.ip())
    session.flash('success', `${user.fullName} can sign in again.`)
    return response.redirect().toRoute('users.index')
  }
}
