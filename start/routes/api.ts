import router from '@adonisjs/core/services/router'
import { middleware } from '#start/kernel'

/** The agent JSON API of spec §5. */
router
  .group(() => {})
  .prefix('/api/v1')
  .use(middleware.agentAuth())
