import type { HttpContext } from '@adonisjs/core/http'
import DashboardSnapshot from '#presenters/dashboard_snapshot'

/** The control room's front page: what is queued, what is running, and why nothing is claimed. */
export default class DashboardController {
  async show({ view }: HttpContext) {
    return view.render('pages/dashboard/show', await DashboardSnapshot.take())
  }
}
