import router from '@adonisjs/core/services/router'
import { controllers } from '#generated/controllers'

router.get('/health', [controllers.HealthChecks, 'live']).as('health.live')
router.get('/metrics', [controllers.Metrics, 'show']).as('metrics')
router.get('/health/ready', [controllers.HealthChecks, 'ready']).as('health.ready')

// One file per audience, so that each area's routes read together.
await import('#start/routes/api')
await import('#start/routes/webhooks')
await import('#start/routes/admin')
await import('#start/routes/admin_operations')
