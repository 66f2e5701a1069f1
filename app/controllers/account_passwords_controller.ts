import type { HttpContext } from '@adonisjs/core/http'
import hash from '@adonisjs/core/services/hash'
import { ownPasswordValidator } from '#validators/user'

/** GET/PUT /account/password: the signed-in user sets their own password. */
export default class AccountPasswordsController {
  async edit({ auth, view }: HttpContext) {
    return view.render('pages/account_passwords/edit', { user: auth.use('web').getUserOrFail() })
  }

  async update({ auth, request, session, response }: HttpContext) {
    const user = auth.use('web').getUserOrFail()
    const input = await request.validateUsing(ownPasswordValidator)
    if (!(await hash.use('scrypt').verify(user.password, input.current_password))) {
      session.flash('inputErrorsBag', { current_password: ['This is not your current password'] })
      return response.redirect().toRoute('account.password.edit')
    }
    await user.changeOwnPassword(input.password, request.ip(), session.sessionId)
    session.flash('success', 'Password changed. Your other sessions are ended.')
    return response.redirect().toRoute('dashboard')
  }
}
