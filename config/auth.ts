import { defineConfig } from '@adonisjs/auth'
import { sessionGuard, sessionUserProvider } from '@adonisjs/auth/session'
import { tokensGuard } from '@adonisjs/auth/access_tokens'
import type { InferAuthenticators, InferAuthEvents, Authenticators } from '@adonisjs/auth/types'
import { TokenableUserProvider } from '#infrastructure/agent_tokens_provider'

const authConfig = defineConfig({
  default: 'web',
  guards: {
    web: sessionGuard({
      useRememberMeTokens: false,
      provider: sessionUserProvider({
        model: () => import('#models/user'),
      }),
    }),
    // Agents on /api/v1: `Authorization: Bearer gha_…`.
    api: tokensGuard({
      // The token and its agent in one statement (AgentTokensProvider.verifyWithTokenable).
      provider: new TokenableUserProvider({
        tokens: 'accessTokens',
        model: () => import('#models/agent'),
      }),
    }),
    // Integrations on /api/v1/projects/:slug: `Authorization: Bearer ghk_…` (a project API key).
    projects: tokensGuard({
      provider: new TokenableUserProvider({
        tokens: 'apiKeys',
        model: () => import('#models/project'),
      }),
    }),
  },
})

export default authConfig

declare module '@adonisjs/auth/types' {
  export interface Authenticators extends InferAuthenticators<typeof authConfig> {}
}
declare module '@adonisjs/core/types' {
  interface EventsList extends InferAuthEvents<Authenticators> {}
}
