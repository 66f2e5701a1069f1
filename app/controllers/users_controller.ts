import type { HttpContext } from '@adonisjs/core/http'
import { urlFor } from '@adonisjs/core/services/url_builder'
import User, { USER_ROLES } from '#models/user'
import UserPolicy from '#policies/user_policy'
import KeysetPage, { cursorValidator } from '#presenters/keyset_page'
import { createUserValidator, updateUserValidator } from '#validators/user'

const ROLE_OPTIONS = USER_ROLES.map((role) => ({ value: role, label: role }))

/** People who use the admin pages (admins only). */
export default class UsersController {
  async index({ bouncer, request, view }: HttpContext) {
    await bouncer.with(UserPolicy).authorize('viewList')
    const cursor = await cursorValidator.validate(request.qs())
    const page = await KeysetPage.fetch(User.query(), cursor)
    return view.render('pages/users/index', {
      users: page.rows,
      pages: page.links(urlFor('users.index')),
    })
  }

  async create({ bouncer, view }: HttpContext) {
    await bouncer.with(UserPolicy).authorize('create')
    return view.render('pages/users/create', { roles: ROLE_OPTIONS })
  }

  async store({ bouncer, request, auth, session, response }: HttpContext) {
    await bouncer.with(UserPolicy).authorize('create')
    const input = await request.validateUsing(createUserValidator)
    const user = await User.register(
      { email: input.email, fullName: input.full_name, role: input.role, password: input.password },
      auth.use('web').getUserOrFail(),
      request.ip()
    )
    session.flash('success', `${user.fullName} can now sign in as ${user.role}.`)
    return response.redirect().toRoute('users.index')
  }

  async edit({ bouncer, params, view }: HttpContext) {
    const user = await User.findOrFail(params.id)
    await bouncer.with(UserPolicy).authorize('update', user)
    return view.render('pages/users/edit', { user, roles: ROLE_OPTIONS })
  }

  async update({ bouncer, params, request, auth, session, response }: HttpContext) {
    const user = await User.findOrFail(params.id)
    await bouncer.with(UserPolicy).authorize('update', user)
    const input = await request.validateUsing(updateUserValidator)
    await bouncer.with(UserPolicy).authorize('update', user, input.role)
    await user.updateAccount(
      { fullName: input.full_name, role: input.role, password: input.password },
      auth.use('web').getUserOrFail(),
      request.ip(),
      session.sessionId
    )
    session.flash('success', `${user.fullName} saved.`)
    return response.redirect().toRoute('users.index')
  }
}
