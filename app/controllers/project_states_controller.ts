import type { HttpContext } from '@adonisjs/core/http'
import Project from '#models/project'
import ProjectPolicy from '#policies/project_policy'
import { projectStateValidator } from '#validators/project'

/** Activating, pausing, archiving a project (PUT /projects/:id/state). */
export default class ProjectStatesController {
  async update({ bouncer, params, request, auth, session, response }: HttpContext) {
    const project = await Project.findOrFail(params.id)
    await bouncer.with(ProjectPolicy).authorize('update')
    const { state } = await request.validateUsing(projectStateValidator)
    await project.changeState(state, auth.use('web').getUserOrFail(), request.ip())
    session.flash('success', `Project is now ${state}.`)
    return response.redirect().toRoute('projects.show', { id: project.id })
  }
}
