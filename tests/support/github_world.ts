import { sign } from '@octokit/webhooks-methods'
import githubConfig from '#config/github'
import Integration from '#models/integration'
import type Project from '#models/project'
import type { GatesConfig } from '#models/project'
import { ProjectFactory } from '#database/factories/project_factory'
import type { Group } from '@japa/runner/core'
import FakeGitHub from '#tests/support/fake_github/fake_github'
import { emptyWorld } from '#tests/support/test_database'

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

/**
 * A test group against the fake GitHub: started once for the group, reset with an empty world
 * before each test (with `jobs`, an empty job queue too, emptied again after the test).
 * Returns the group's world; its `fake` is there once the group has started.
 */
export function fakeGitHubGroup(group: Group, options: { jobs?: boolean } = {}) {
  const world = {} as { fake: FakeGitHub }
  // Leave nothing behind for suites that clean up only after their tests.
  group.teardown(() => emptyWorld())
  group.setup(async () => {
    const github = await useFakeGitHub()
    world.fake = github.fake
    return () => github.stop()
  })
  group.each.setup(async () => {
    world.fake.reset()
    await emptyWorld()
  })
  if (options.jobs) {
    group.each.setup(async () => {
      await clearJobs()
      // Jobs left behind would run in the next test file's worker, against the real GitHub.
      return () => clearJobs()
    })
  }
  return world
}

/** A project connected to GitHub: token and webhook secret as encrypted integrations. */
export async function githubProject(
  attributes: {
    repoFullName?: string
    gatesConfig?: GatesConfig
    e2ERequired?: boolean
    token?: string | null
  } = {}
): Promise<Project> {
  const project = await ProjectFactory.merge({
    repoFullName: attributes.repoFullName ?? EXAMPLE_REPO,
    githubTokenSecretName: 'GITHUB_TOKEN_ACME',
    webhookSecretName: 'GITHUB_WEBHOOK_ACME',
    gatesConfig: attributes.gatesConfig ?? {},
    e2ERequired: attributes.e2ERequired ?? false,
  }).create()
  if (attributes.token !== null)
    await addIntegration(project, 'github', 'GITHUB_TOKEN_ACME', attributes.token ?? GITHUB_TOKEN)
  await addIntegration(project, 'webhook', 'GITHUB_WEBHOOK_ACME', WEBHOOK_SECRET)
  return project
}

export async function addIntegration(
  project: Project,
  kind: Integration['kind'],
  name: string,
  secret: string
) {
  return Integration.create({
    projectId: project.id,
    kind,
    name,
    status: 'active',
    value: Integration.seal(kind, name, secret),
  })
}

/** The X-Hub-Signature-256 GitHub would send for this body. */
export async function signatureOf(body: string, secret = WEBHOOK_SECRET) {
  return sign(secret, body)
}

/** graphile-worker's queue survives emptyWorld(): tests that count jobs start from none. */
export async function clearJobs() {
  const { default: db } = await import('@adonisjs/lucid/services/db')
  await db.rawQuery('delete from graphile_worker._private_jobs')
}

export async function jobsOf(task: string) {
  const { default: db } = await import('@adonisjs/lucid/services/db')
  const { rows } = await db.rawQuery(
    `select j.id, j.key, j.payload, j.run_at, j.max_attempts from graphile_worker._private_jobs j
       join graphile_worker._private_tasks t on t.id = j.task_id where t.identifier = ? order by j.id`,
    [task]
  )
  return rows as {
    id: string
    key: string | null
    payload: any
    run_at: Date
    max_attempts: number
  }[]
}

/** The GitHub tasks in the order the worker's effects follow one another. */
const GITHUB_TASKS = [
  'process_github_webhook',
  'evaluate_gates',
  'post_gatehouse_status',
  'report_run_to_github',
  'report_item_to_github',
] as const

/**
 * Runs the queued GitHub jobs that are due, as the worker would (the task functions
 * themselves, first attempt), until none is left: deliveries, then the re-evaluations they
 * asked for, then what the verdicts enqueued. Jobs scheduled for later (deadlines) stay.
 */
export async function runGitHubJobs() {
  const { default: db } = await import('@adonisjs/lucid/services/db')
  const { taskList } = await import('#jobs/task_list')
  for (let round = 0; round < 10; round++) {
    let ran = 0
    for (const task of GITHUB_TASKS) {
      for (const job of await jobsOf(task)) {
        if (job.run_at.getTime() > Date.now()) continue
        await db.rawQuery('delete from graphile_worker._private_jobs where id = ?', [job.id])
        await taskList[task]!(job.payload, {
          job: { attempts: 1, max_attempts: job.max_attempts },
        } as any)
        ran++
      }
    }
    if (ran === 0) return
  }
}

type Delivery = {
  body?: string
  signature?: string | null
  deliveryId?: string
  contentType?: string
}

/** POSTs a webhook to the running test server the way GitHub does (exact bytes, signed). */
export async function deliver(event: string, payload: unknown, options: Delivery = {}) {
  const body = options.body ?? JSON.stringify(payload)
  const headers: Record<string, string> = {
    'content-type': options.contentType ?? 'application/json',
    'x-github-event': event,
    'x-github-delivery': options.deliveryId ?? crypto.randomUUID(),
    'user-agent': 'GitHub-Hookshot/test',
  }
  const signature = options.signature === undefined ? await signatureOf(body) : options.signature
  if (signature !== null) headers['x-hub-signature-256'] = signature
  const response = await fetch(`http://${process.env.HOST}:${process.env.PORT}/webhooks/github`, {
    method: 'POST',
    headers,
    body,
  })
  const text = await response.text()
  return {
    status: response.status,
    contentType: response.headers.get('content-type'),
    body: text ? JSON.parse(text) : null,
    deliveryId: headers['x-github-delivery'],
  }
}
