import router from '@adonisjs/core/services/router'
import { middleware } from '#start/kernel'
import { controllers } from '#generated/controllers'

/** The OpenAPI document of /api/v1 and its rendered reference (public: it holds no data). */
router.get('/api/v1/openapi.json', [controllers.api.Openapi, 'show']).as('api.openapi')
router.get('/api/docs', [controllers.api.Openapi, 'docs']).as('api.docs')
router.get('/api/docs/renderer.js', [controllers.api.Openapi, 'renderer']).as('api.docs.renderer')

/** The agent JSON API of spec §5. */
router
  .group(() => {
    router.get('/agent', [controllers.api.Agent, 'show']).as('agent.show')
    router.post('/agent/drain', [controllers.api.AgentDrains, 'store']).as('agent.drain.store')
    router
      .delete('/agent/drain', [controllers.api.AgentDrains, 'destroy'])
      .as('agent.drain.destroy')
    router
      .post('/claims', [controllers.api.Claims, 'store'])
      .as('claims.store')
      .use(middleware.idempotent())
    router
      .group(() => {
        router.get('/', [controllers.api.Runs, 'show']).as('show')
        router.post('/heartbeat', [controllers.api.RunHeartbeats, 'store']).as('heartbeat')
        router.post('/logs', [controllers.api.RunLogs, 'store']).as('logs')
        router
          .post('/complete', [controllers.api.RunCompletions, 'store'])
          .as('complete')
          .use(middleware.idempotent())
        router
          .post('/release', [controllers.api.RunReleases, 'store'])
          .as('release')
          .use(middleware.idempotent())
        router
          .post('/questions', [controllers.api.RunQuestions, 'store'])
          .as('questions')
          .use(middleware.idempotent())
      })
      .prefix('/runs/:id')
      .where('id', router.matchers.number())
      .as('runs')
      .use(middleware.runState())
  })
  .prefix('/api/v1')
  .as('api')
  .use(middleware.agentAuth())

/** The work-item API of integrations (project API keys), one project per key. */
router
  .group(() => {
    router.get('/', [controllers.api.ProjectWorkItems, 'index']).as('index')
    router
      .post('/', [controllers.api.ProjectWorkItems, 'store'])
      .as('store')
      .use(middleware.idempotent())
    router
      .group(() => {
        router.get('/', [controllers.api.ProjectWorkItems, 'show']).as('show')
        router.patch('/', [controllers.api.ProjectWorkItems, 'update']).as('update')
        router
          .post('/cancellation', [controllers.api.ProjectWorkItemCancellations, 'store'])
          .as('cancellation')
        router.post('/requeue', [controllers.api.ProjectWorkItemRequeues, 'store']).as('requeue')
      })
      .prefix('/:id')
      .where('id', router.matchers.number())
  })
  .prefix('/api/v1/projects/:slug/work_items')
  .as('api.projects.work_items')
  .use(middleware.projectApiAuth())
