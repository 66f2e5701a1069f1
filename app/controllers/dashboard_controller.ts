import type { HttpContext } from '@adonisjs/core/http'

/** The control room's front page. */
export default class DashboardController {
  async show({ view }: HttpContext) {
    return view.render('dashboard/show')
  }
}
