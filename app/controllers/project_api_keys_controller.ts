import type { HttpContext } from '@adonisjs/core/http'
import Project from '#models/project'
import ProjectPolicy from '#policies/project_policy'
import { issueProjectApiKeyValidator } from '#validators/project_api_key'

/** POST /projects/:projectId/api_keys issues a project API key; DELETE …/:id revokes one. */
export default class ProjectApiKeysController {
  async store({ params, request, response, auth, bouncer, session }: HttpContext) {
    await bouncer.with(ProjectPolicy).authorize('update')
    const project = await Project.findOrFail(params.projectId)
    // Checkboxes: one ticked arrives as a string, several as an array.
    const input = await request.validateUsing(issueProjectApiKeyValidator, {
      data: { name: request.input('name'), scopes: [request.input('scopes') ?? []].flat() },
    })
    const key = await project.issueApiKey(
      auth.use('web').getUserOrFail(),
      { name: input.name, scopes: input.scopes },
      request.ip()
    )
    // Flashed, not stored: the next page shows it once; only its hash remains.
    session.flash('issuedApiKey', { name: input.name, value: key.value!.release() })
    return response.redirect().toRoute('projects.show', { id: project.id })
  }

  async destroy({ params, request, response, auth, bouncer, session }: HttpContext) {
    await bouncer.with(ProjectPolicy).authorize('update')
    const project = await Project.findOrFail(params.projectId)
    const revoked = await project.revokeApiKey(
      auth.use('web').getUserOrFail(),
      Number(params.id),
      request.ip()
    )
    session.flash(revoked ? 'success' : 'error', revoked ? 'API key revoked.' : 'No such API key.')
    return response.redirect().toRoute('projects.show', { id: project.id })
  }
}
