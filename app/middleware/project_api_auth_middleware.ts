import type { HttpContext } from '@adonisjs/core/http'
import type { NextFn } from '@adonisjs/core/types/http'
import Problem from '#exceptions/problem'

/**
 * Authenticates a project API key (401 when unknown, revoked or expired) for the project in
 * the path (another project is 404, as if it did not exist) and checks its scope: reading
 * needs `items:read`, changing `items:write` (403 otherwise).
 */
export default class ProjectApiAuthMiddleware {
  async handle(ctx: HttpContext, next: NextFn) {
    const project = await ctx.auth.use('projects').authenticate()
    if (project.slug !== ctx.params.slug) throw new Problem(404, 'Not Found', 'No such project.')
    const scope = ['GET', 'HEAD'].includes(ctx.request.method()) ? 'items:read' : 'items:write'
    if (!project.currentAccessToken.allows(scope)) {
      throw new Problem(403, 'Forbidden', `This API key lacks the ${scope} scope.`)
    }
    return next()
  }
}
