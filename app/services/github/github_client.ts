import { createHash } from 'node:crypto'
import { Octokit, RequestError } from 'octokit'
import { DateTime } from 'luxon'
import db from '@adonisjs/lucid/services/db'
import logger from '@adonisjs/core/services/logger'
import githubConfig from '#config/github'
import type Project from '#models/project'
import { type GitHubStatus } from '#models/project'
import Integration from '#models/integration'
import AuditEvent from '#models/audit_event'
import { isOwnConfiguration } from '#services/github/own_configuration'

/** Why GitHub could not be used; jobs retry `unreachable` and `rate_limited`, never the token ones. */
export type GitHubFailureKind =
  'token_missing' | 'token_rejected' | 'not_found' | 'rate_limited' | 'unreachable'

export class GitHubFailure extends Error {
  constructor(
    readonly kind: GitHubFailureKind,
    message: string,
    readonly status: number | null = null,
    /** For rate limits: when GitHub says the quota resets. */
    readonly retryAt: DateTime | null = null
  ) {
    super(message)
  }

  /** Worth trying again later: GitHub was down, slow or rate limiting us. */
  get isTransient() {
    return this.kind === 'rate_limited' || this.kind === 'unreachable'
  }
}

/**
 * One Octokit per project (spec §6), authenticated by the token its `github_token_secret_name`
 * names: an active `github` integration of that name, else an environment variable of that
 * name. Every call goes through `call`, which records the connection state on the project.
 */
export default class GitHubClient {
  readonly owner: string
  readonly repo: string

  private constructor(
    readonly project: Project,
    readonly octokit: Octokit
  ) {
    const [owner, repo] = project.repoFullName.split('/')
    this.owner = owner
    this.repo = repo
  }

  /** Throws GitHubFailure('token_missing') (recorded on the project) when no token resolves. */
  static async forProject(project: Project): Promise<GitHubClient> {
    const token = await resolveSecret(project, 'github', project.githubTokenSecretName)
    if (!token) {
      const failure = new GitHubFailure(
        'token_missing',
        project.githubTokenSecretName
          ? `No active github integration or environment variable named ${project.githubTokenSecretName}.`
          : 'The project names no GitHub token (github_token_secret_name).'
      )
      await recordConnection(project, failure)
      throw failure
    }
    return new GitHubClient(project, octokitFor(project.id, token))
  }

  /**
   * Runs one GitHub interaction. Errors become GitHubFailure; a rejected token and a
   * recovered connection are recorded on the project (and audited when the state changes).
   */
  async call<T>(interaction: (octokit: Octokit) => Promise<T>): Promise<T> {
    try {
      const result = await interaction(this.octokit)
      await recordConnection(this.project, null)
      return result
    } catch (error) {
      // Octokit turns network errors into RequestErrors too; anything else is not GitHub's doing.
      if (!(error instanceof RequestError) && !(error instanceof GitHubFailure)) throw error
      const failure = toFailure(error)
      if (failure.kind !== 'not_found') await recordConnection(this.project, failure)
      throw failure
    }
  }
}

/** Resolves a named secret: an active integration of the given kinds, else the environment. */
export async function resolveSecret(
  project: Project,
  kinds: Integration['kind'] | Integration['kind'][],
  name: string | null
): Promise<string | null> {
  if (!name) return null
  const integrations = await Integration.query()
    .where('projectId', project.id)
    .whereIn('kind', Array.isArray(kinds) ? kinds : [kinds])
    .where('name', name)
    .where('status', 'active')
    .orderBy('id')
  for (const integration of integrations) {
    try {
      const secret = integration.revealSecret()
      if (secret) return secret
    } catch (error) {
      logger.warn(
        { err: error, integrationId: integration.id },
        'integration secret cannot be decrypted'
      )
    }
  }
  return isOwnConfiguration(name) ? null : process.env[name] || null
}

/**
 * The Octokit of each project, kept for the process's life (its throttling state with it); a
 * new token or API URL replaces it.
 */
const octokits = new Map<number, { key: string; octokit: Octokit }>()

function octokitFor(projectId: number, token: string) {
  const key = createHash('sha256').update(`${githubConfig.apiUrl}\n${token}`).digest('hex')
  const cached = octokits.get(projectId)
  if (cached?.key === key) return cached.octokit
  const octokit = createOctokit(token)
  octokits.set(projectId, { key, octokit })
  return octokit
}

function createOctokit(token: string) {
  return new Octokit({
    auth: token,
    baseUrl: githubConfig.apiUrl.replace(/\/+$/, ''),
    // Octokit sets no timeout of its own: a hanging GitHub must not hold a job slot forever.
    request: {
      fetch: (url: string | URL, init: RequestInit = {}) =>
        fetch(url, {
          ...init,
          signal: init.signal ?? AbortSignal.timeout(githubConfig.requestTimeoutMs),
        }),
    },
    log: {
      debug: () => {},
      info: () => {},
      warn: (message: string) => logger.warn({ component: 'github' }, message),
      error: (message: string) => logger.error({ component: 'github' }, message),
    },
    // Rate limits (403/429) are the throttling plugin's: waited out once when short, else failed.
    retry: {
      retries: githubConfig.retries,
      retryAfterBaseValue: githubConfig.retryAfterBaseMs,
      doNotRetry: [400, 401, 403, 404, 410, 422, 429, 451],
    },
    throttle: {
      retryAfterBaseValue: githubConfig.retryAfterBaseMs,
      // Wait out a short limit once; a long one fails the call, and the job is retried later.
      onRateLimit: (retryAfter: number, _options: unknown, _octokit: unknown, retryCount: number) =>
        retryCount === 0 && retryAfter <= githubConfig.maxRateLimitWaitSeconds,
      onSecondaryRateLimit: (
        retryAfter: number,
        _options: unknown,
        _octokit: unknown,
        retryCount: number
      ) => retryCount === 0 && retryAfter <= githubConfig.maxRateLimitWaitSeconds,
    },
  })
}

function toFailure(error: RequestError | GitHubFailure): GitHubFailure {
  if (error instanceof GitHubFailure) return error
  const headers = error.response?.headers ?? {}
  const status = error.status
  if (status === 401)
    return new GitHubFailure(
      'token_rejected',
      `GitHub rejected the token (401): ${error.message}`,
      401
    )
  const limited =
    status === 429 ||
    (status === 403 &&
      (headers['x-ratelimit-remaining'] === '0' || headers['retry-after'] !== undefined))
  if (limited) {
    const reset = Number(headers['x-ratelimit-reset'])
    const retryAfter = Number(headers['retry-after'])
    const retryAt =
      Number.isFinite(reset) && reset > 0
        ? DateTime.fromSeconds(reset)
        : DateTime.now().plus({ seconds: Number.isFinite(retryAfter) ? retryAfter : 60 })
    return new GitHubFailure(
      'rate_limited',
      `GitHub rate limit reached (${status}); it resets at ${retryAt.toISO()}.`,
      status,
      retryAt
    )
  }
  // GitHub answers 410 Gone for a deleted issue: as missing as a 404, and no sign of a broken connection.
  if (status === 404 || status === 410)
    return new GitHubFailure('not_found', `GitHub answered ${status}: ${error.message}`, status)
  if (status === 403)
    return new GitHubFailure(
      'token_rejected',
      `GitHub refused the request (403): ${error.message}`,
      403
    )
  return new GitHubFailure('unreachable', `GitHub answered ${status}: ${error.message}`, status)
}

/** Keeps the project's connection state; an audit event marks each change of state. */
async function recordConnection(project: Project, failure: GitHubFailure | null) {
  const status: GitHubStatus = failure
    ? failure.kind === 'token_missing' || failure.kind === 'token_rejected'
      ? failure.kind
      : 'unreachable'
    : 'connected'
  const message = failure?.message ?? null
  // Nothing new to say: spare the project row (claims lock it) a write per GitHub call.
  const fresh =
    project.githubCheckedAt && project.githubCheckedAt > DateTime.now().minus({ minutes: 1 })
  if (fresh && project.githubStatus === status && project.githubStatusMessage === message) return
  await db.transaction(async (trx) => {
    const { rows } = await trx.rawQuery(
      `with old as (select github_status from projects where id = ? for update)
       update projects set github_status = ?, github_status_message = ?, github_checked_at = now()
         from old where projects.id = ?
       returning old.github_status as previous`,
      // Lucid's binding type leaves out null, which pg binds as SQL NULL.
      [project.id, status, message as any, project.id]
    )
    project.merge({
      githubStatus: status,
      githubStatusMessage: message,
      githubCheckedAt: DateTime.now(),
    })
    const previous = rows[0]?.previous
    if (!previous || previous === status) return
    await AuditEvent.record(trx, {
      actor: 'system',
      action: `project.github_${status}`,
      subject: project,
      details: { from: previous, to: status, message },
    })
  })
}
