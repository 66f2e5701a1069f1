import router from '@adonisjs/core/services/router'
import { middleware } from '#start/kernel'
import { controllers } from '#generated/controllers'

/** The agent JSON API of spec §5. */
router
  .group(() => {
    router.get('/agent', [controllers.api.Agent, 'show']).as('agent.show')
    router.post('/claims', [controllers.api.Claims, 'store']).as('claims.store')
  })
  .prefix('/api/v1')
  .as('api')
  .use(middleware.agentAuth())
