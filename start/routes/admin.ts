import router from '@adonisjs/core/services/router'
import { middleware } from '#start/kernel'
import { controllers } from '#generated/controllers'

/** The admin pages of spec §7 (session auth; each controller authorises its role). */
router
  .group(() => {
    router.get('/login', [controllers.Session, 'create']).as('session.create')
    router.post('/login', [controllers.Session, 'store']).as('session.store')
  })
  .use(middleware.guest())

router
  .group(() => {
    router.post('/logout', [controllers.Session, 'destroy']).as('session.destroy')
    router.get('/', [controllers.Dashboard, 'show']).as('dashboard')

    router.get('/webhook-deliveries', [controllers.WebhookDeliveries, 'index']).as('webhook_deliveries.index')

    router.get('/settings', [controllers.Settings, 'edit']).as('settings.edit')
    router.put('/settings', [controllers.Settings, 'update']).as('settings.update')

    router.get('/users', [controllers.Users, 'index']).as('users.index')
    router.get('/users/new', [controllers.Users, 'create']).as('users.create')
    router.post('/users', [controllers.Users, 'store']).as('users.store')
    router.get('/users/:id/edit', [controllers.Users, 'edit']).as('users.edit').where('id', router.matchers.number())
    router.put('/users/:id', [controllers.Users, 'update']).as('users.update').where('id', router.matchers.number())
    router
      .post('/users/:id/deactivation', [controllers.UserDeactivations, 'store'])
      .as('users.deactivation.store')
      .where('id', router.matchers.number())
    router
      .delete('/users/:id/deactivation', [controllers.UserDeactivations, 'destroy'])
      .as('users.deactivation.destroy')
      .where('id', router.matchers.number())
  })
  .use(middleware.auth())
