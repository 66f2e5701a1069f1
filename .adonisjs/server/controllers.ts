export const controllers = {
  HealthChecks: () => import('#controllers/health_checks_controller'),
}
