import router from '@adonisjs/core/services/router'
import server from '@adonisjs/core/services/server'

server.errorHandler(() => import('#exceptions/handler'))

server.use([
  () => import('#middleware/security_headers_middleware'),
  () => import('#middleware/container_bindings_middleware'),
  () => import('@adonisjs/static/static_middleware'),
])

router.use([
  () => import('#middleware/http_metrics_middleware'),
  () => import('#middleware/request_input_middleware'),
  () => import('#middleware/browser_session_middleware'),
  () => import('#middleware/initialize_auth_middleware'),
  () => import('#middleware/initialize_bouncer_middleware'),
])

export const middleware = router.named({
  agentAuth: () => import('#middleware/agent_auth_middleware'),
  auth: () => import('#middleware/auth_middleware'),
  guest: () => import('#middleware/guest_middleware'),
  idempotent: () => import('#middleware/idempotency_middleware'),
  runState: () => import('#middleware/run_state_middleware'),
  projectApiAuth: () => import('#middleware/project_api_auth_middleware'),
})
