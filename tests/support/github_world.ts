import { sign } from '@octokit/webhooks-methods'
import githubConfig from '#config/github'
import Integration from '#models/integration'
import type Project from '#models/project'
import type { GatesConfig } from '#models/project'
import { ProjectFactory } from '#database/factories/project_factory'
import FakeGitHub from '#tests/support/fake_github/fake_github'

export const GITHUB_TOKEN = 'ghp_test_token_0000000000000000000000000000'
export const WEBHOOK_SECRET = 'webhook-secret-for-tests'
/** The repository of @octokit/webhooks-examples' payloads. */
export const EXAMPLE_REPO = 'Codertocat/Hello-World'

/**
 * Starts the fake GitHub and points Gatehouse at it, with short retry waits so that tests of
 * 5xx answers do not sleep. Returns a stop function that restores the configuration.
 */
export async function useFakeGitHub() {
  const fake = await FakeGitHub.start({ token: GITHUB_TOKEN })
  const saved = { ...githubConfig }
  githubConfig.apiUrl = fake.url
  githubConfig.retryAfterBaseMs = 5
  return {
    fake,
    async stop() {
      Object.assign(githubConfig, saved)
      await fake.stop()
    },
  }
}

/** A project connected to GitHub: token and webhook secret as encrypted integrations. */
export async function githubProject(
  attributes: { repoFullName?: string; gatesConfig?: GatesConfig; e2ERequired?: boolean; token?: string | null } = {}
): Promise<Project> {
  const project = await ProjectFactory.merge({
    repoFullName: attributes.repoFullName ?? EXAMPLE_REPO,
    githubTokenSecretName: 'GITHUB_TOKEN_ACME',
    webhookSecretName: 'GITHUB_WEBHOOK_ACME',
    gatesConfig: attributes.gatesConfig ?? {},
    e2ERequired: attributes.e2ERequired ?? false,
  }).create()
  if (attributes.token !== null) await addIntegration(project, 'github', 'GITHUB_TOKEN_ACME', attributes.token ?? GITHUB_TOKEN)
  await addIntegration(project, 'webhook', 'GITHUB_WEBHOOK_ACME', WEBHOOK_SECRET)
  return project
}

export async function addIntegration(project: Project, kind: Integration['kind'], name: string, secret: string) {
  return Integration.create({ projectId: project.id, kind, name, status: 'active', value: Integration.seal(kind, name, secret) })
}

/** The X-Hub-Signature-256 GitHub would send for this body. */
export async function signatureOf(body: string, secret = WEBHOOK_SECRET) {
  return sign(secret, body)
}
