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
    router.get('/', [controllers.Dashboard, 'show']).as('dashboard')

    router
      .get('/webhook-deliveries', [controllers.WebhookDeliveries, 'index'])
      .as('webhook_deliveries.index')

    router.get('/projects', [controllers.Projects, 'index']).as('projects.index')
    router.get('/projects/new', [controllers.Projects, 'create']).as('projects.create')
    router.post('/projects', [controllers.Projects, 'store']).as('projects.store')
    router
      .group(() => {
        router.get('/', [controllers.Projects, 'show']).as('show')
        router.get('/edit', [controllers.Projects, 'edit']).as('edit')
        router.put('/', [controllers.Projects, 'update']).as('update')
        router.put('/state', [controllers.ProjectStates, 'update']).as('state.update')
      })
      .prefix('/projects/:id')
      .where('id', rowId)
      .as('projects')
    router
      .group(() => {
        router.get('/new', [controllers.Integrations, 'create']).as('create')
        router.post('/', [controllers.Integrations, 'store']).as('store')
        router.get('/:id/edit', [controllers.Integrations, 'edit']).as('edit')
        router.put('/:id', [controllers.Integrations, 'update']).as('update')
        router
          .post('/:id/deactivation', [controllers.IntegrationDeactivations, 'store'])
          .as('deactivation.store')
        router
          .delete('/:id/deactivation', [controllers.IntegrationDeactivations, 'destroy'])
          .as('deactivation.destroy')
      })
      .prefix('/projects/:projectId/integrations')
      .where('projectId', rowId)
      .where('id', rowId)
      .as('projects.integrations')
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

    router.get('/users', [controllers.Users, 'index']).as('users.index')
    router.get('/users/new', [controllers.Users, 'create']).as('users.create')
    router.post('/users', [controllers.Users, 'store']).as('users.store')
    router.get('/users/:id/edit', [controllers.Users, 'edit']).as('users.edit').where('id', rowId)
    router.put('/users/:id', [controllers.Users, 'update']).as('users.update').where('id', rowId)
    router
      .post('/users/:id/deactivation', [controllers.UserDeactivations, 'store'])
      .as('users.deactivation.store')
      .where('id', rowId)
    router
      .delete('/users/:id/deactivation', [controllers.UserDeactivations, 'destroy'])
      .as('users.deactivation.destroy')
      .where('id', rowId)
  })
  .use(middleware.auth())
