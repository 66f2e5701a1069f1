import router from '@adonisjs/core/services/router'
import { middleware } from '#start/kernel'
import { controllers } from '#generated/controllers'

/** The agent JSON API of spec §5. */
router
  .group(() => {
    router.get('/agent', [controllers.api.Agent, 'show']).as('agent.show')
    router.post('/claims', [controllers.api.Claims, 'store']).as('claims.store')
    router
      .group(() => {
        router.get('/', [controllers.api.Runs, 'show']).as('show')
        router.post('/heartbeat', [controllers.api.RunHeartbeats, 'store']).as('heartbeat')
        router.post('/logs', [controllers.api.RunLogs, 'store']).as('logs')
        router.post('/complete', [controllers.api.RunCompletions, 'store']).as('complete')
        router.post('/release', [controllers.api.RunReleases, 'store']).as('release')
        router.post('/questions', [controllers.api.RunQuestions, 'store']).as('questions')
      })
      .prefix('/runs/:id')
      .where('id', router.matchers.number())
      .as('runs')
  })
  .prefix('/api/v1')
  .as('api')
  .use(middleware.agentAuth())
