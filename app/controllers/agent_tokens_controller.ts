import type { HttpContext } from '@adonisjs/core/http'
import Agent from '#models/agent'
import AgentPolicy from '#policies/agent_policy'
import { issueAgentTokenValidator } from '#validators/agent'

/** POST /agents/:id/tokens issues a bearer token; DELETE /agents/:id/tokens/:tokenId revokes one. */
export default class AgentTokensController {
  async store({ params, request, response, auth, bouncer, session }: HttpContext) {
    await bouncer.with(AgentPolicy).authorize('manage')
    const agent = await Agent.findOrFail(params.id)
    const input = await request.validateUsing(issueAgentTokenValidator)
    const plaintext = await agent.issueToken(
      auth.use('web').getUserOrFail(),
      { name: input.name, expiresInDays: input.expires_in_days ?? null },
      request.ip()
    )
    // Flashed, not stored: the next page shows it once; only its hash remains.
    session.flash('issuedToken', { name: input.name, value: plaintext })
    return response.redirect(`/agents/${agent.id}`)
  }

  async destroy({ params, request, response, auth, bouncer, session }: HttpContext) {
    await bouncer.with(AgentPolicy).authorize('manage')
    const agent = await Agent.findOrFail(params.id)
    await agent.revokeToken(auth.use('web').getUserOrFail(), Number(params.tokenId), request.ip())
    session.flash('success', `Token revoked: ${agent.key} can no longer use it.`)
    return response.redirect(`/agents/${agent.id}`)
  }
}
