import type { HttpContext } from '@adonisjs/core/http'
import Setting from '#models/setting'
import SettingPolicy from '#policies/setting_policy'
import { settingsValidator } from '#validators/setting'

/** The global switches of spec §1 (admins only). */
export default class SettingsController {
  async edit({ bouncer, view }: HttpContext) {
    await bouncer.with(SettingPolicy).authorize('view')
    const [settings, lastChange] = await Promise.all([
      Setting.current(),
      Setting.query()
        .whereNotNull('updatedByUserId')
        .preload('updatedBy')
        .orderBy('updatedAt', 'desc')
        .first(),
    ])
    return view.render('pages/settings/edit', { settings, lastChange })
  }

  async update({ bouncer, request, auth, session, response }: HttpContext) {
    await bouncer.with(SettingPolicy).authorize('update')
    const input = await request.validateUsing(settingsValidator)
    await Setting.change(input, auth.use('web').getUserOrFail(), request.ip())
    session.flash('success', 'Settings saved.')
    return response.redirect().toRoute('settings.edit')
  }
}
