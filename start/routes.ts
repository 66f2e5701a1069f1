import router from '@adonisjs/core/services/router'
import { controllers } from '#generated/controllers'

router.get('/health', [controllers.HealthChecks, 'live']).as('health.live')
router.get('/health/ready', [controllers.HealthChecks, 'ready']).as('health.ready')
