import router from '@adonisjs/core/services/router'
import { middleware } from '#start/kernel'
import { controllers } from '#generated/controllers'
import { rowId } from '#start/routes/row_id'

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
    router
      .get('/account/password', [controllers.AccountPasswords, 'edit'])
      .as('account.password.edit')
    router
      .put('/account/password', [controllers.AccountPasswords, 'update'])
      .as('account.password.update')
    router
      .get('/users/:id/sessions', [controllers.UserSessions, 'index'])
      .as('users.sessions.index')
      .where('id', rowId)
    router
      .delete('/users/:id/sessions/:sessionId', [controllers.UserSessions, 'destroy'])
      .as('users.sessions.destroy')
      .where('id', rowId)
    router.get('/', [controllers.Dashboard, 'show']).as('dashboard')

    router
      .get('/webhook-deliveries', [controllers.WebhookDeliveries, 'index'])
      .as('webhook_deliveries.index')

    router
      .resource('projects', controllers.Projects)
      .except(['destroy'])
      .tap('create', (route) => route.setPattern('/projects/new'))
      .where('id', rowId)
    router
      .put('/projects/:id/state', [controllers.ProjectStates, 'update'])
      .where('id', rowId)
      .as('projects.state.update')

    router
      .resource('projects.integrations', controllers.Integrations)
      .only(['create', 'store', 'show', 'edit', 'update'])
      .params({ projects: 'projectId' })
      .tap('create', (route) => route.setPattern('/projects/:projectId/integrations/new'))
      .where('projectId', rowId)
      .where('id', rowId)
    router
      .group(() => {
        router.post('/', [controllers.IntegrationDeactivations, 'store']).as('deactivation.store')
        router
          .delete('/', [controllers.IntegrationDeactivations, 'destroy'])
          .as('deactivation.destroy')
      })
      .prefix('/projects/:projectId/integrations/:id/deactivation')
      .where('projectId', rowId)
      .where('id', rowId)
      .as('projects.integrations')
    router
      .post('/projects/:projectId/integrations/:integrationId/deliveries/:id/redelivery', [
        controllers.NotificationRedeliveries,
        'store',
      ])
      .where('projectId', rowId)
      .where('integrationId', rowId)
      .where('id', rowId)
      .as('projects.integrations.deliveries.redelivery.store')
    router
      .group(() => {
        router.post('/', [controllers.ProjectApiKeys, 'store']).as('store')
        router.delete('/:id', [controllers.ProjectApiKeys, 'destroy']).as('destroy')
      })
      .prefix('/projects/:projectId/api_keys')
      .where('projectId', rowId)
      .where('id', rowId)
      .as('projects.api_keys')

    router.get('/settings', [controllers.Settings, 'edit']).as('settings.edit')
    router.put('/settings', [controllers.Settings, 'update']).as('settings.update')

    router
      .resource('users', controllers.Users)
      .except(['show', 'destroy'])
      .tap('create', (route) => route.setPattern('/users/new'))
      .where('id', rowId)
    router
      .group(() => {
        router.post('/', [controllers.UserDeactivations, 'store']).as('deactivation.store')
        router.delete('/', [controllers.UserDeactivations, 'destroy']).as('deactivation.destroy')
      })
      .prefix('/users/:id/deactivation')
      .where('id', rowId)
      .as('users')
  })
  .use(middleware.auth())
