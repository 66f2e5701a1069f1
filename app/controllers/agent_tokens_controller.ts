import type { HttpContext } from '@adonisjs/core/http'
import { errors } from '@adonisjs/lucid'
import Agent from '#models/agent'
import AgentPolicy from '#policies/agent_policy'
import { issueAgentTokenValidator } from '#validators/agent'

/** POST /agents/:id/tokens issues a bearer token; DELETE /agents/:id/tokens/:tokenId revokes one. */
export default class AgentTokensController {
  async store({ params, request, response, auth, bouncer, session }: HttpContext) {
    await bouncer.with(AgentPolicy).authorize('manage')
    const agent = await Agent.findOrFail(params.id)
    const input = await request.validateUsing(issueAgentTokenValidator)
    const token = await agent.issueToken(
      auth.use('web').getUserOrFail(),
      {
        name: input.name,
        expiresIn: input.expires_in_days ? `${input.expires_in_days} days` : null,
      },
      { ip: request.ip() }
    )
    // Flashed, not stored: the next page shows it once; only its hash remains.
    session.flash('issuedToken', { name: input.name, value: token.value!.release() })
    return response.redirect().toRoute('agents.show', { id: agent.id })
  }

  async destroy({ params, request, response, auth, bouncer, session }: HttpContext) {
    await bouncer.with(AgentPolicy).authorize('manage')
    const agent = await Agent.findOrFail(params.id)
    const revoked = await agent.revokeTokens(
      auth.use('web').getUserOrFail(),
      Number(params.tokenId),
      { ip: request.ip() }
    )
    // A token of another agent is not one of this agent's.
    if (revoked.length === 0) throw new errors.E_ROW_NOT_FOUND()
    session.flash('success', `Token revoked: ${agent.key} can no longer use it.`)
    return response.redirect().toRoute('agents.show', { id: agent.id })
  }
}
