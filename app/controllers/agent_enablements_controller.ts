import type { HttpContext } from '@adonisjs/core/http'
import Agent from '#models/agent'
import AgentPolicy from '#policies/agent_policy'

/** POST /agents/:id/enablement lets an agent claim again; DELETE stops it claiming. */
export default class AgentEnablementsController {
  async store({ params, request, response, auth, bouncer, session }: HttpContext) {
    await bouncer.with(AgentPolicy).authorize('manage')
    const agent = await Agent.findOrFail(params.id)
    await agent.enable(auth.use('web').getUserOrFail(), { ip: request.ip() })
    session.flash('success', `Agent ${agent.key} enabled.`)
    return response.redirect().back()
  }

  async destroy({ params, request, response, auth, bouncer, session }: HttpContext) {
    await bouncer.with(AgentPolicy).authorize('manage')
    const agent = await Agent.findOrFail(params.id)
    await agent.disable(auth.use('web').getUserOrFail(), { ip: request.ip() })
    session.flash(
      'success',
      `Agent ${agent.key} disabled: it claims nothing more; running runs go on.`
    )
    return response.redirect().back()
  }
}
