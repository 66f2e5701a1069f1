import router from '@adonisjs/core/services/router'
import { controllers } from '#generated/controllers'

/** Deliveries from GitHub (spec §6): signed, not authenticated; CSRF is exempt for /webhooks/. */
router.post('/webhooks/github', [controllers.GithubWebhooks, 'store']).as('webhooks.github')
