import type { ApiClient, ApiRequest, ApiResponse } from '@japa/api-client'
import db from '@adonisjs/lucid/services/db'
import type { Assert } from '@japa/assert'
import type User from '#models/user'
import { USER_ROLES, type UserRole } from '#models/user'
import { UserFactory } from '#database/factories/user_factory'
import { emptyWorld } from '#tests/support/test_database'

/** The factory's password for every user. */
export const PASSWORD = 'correct horse battery staple'

/** Roles from least to most powerful (spec §7). */
export const ROLES_ASCENDING: UserRole[] = [...USER_ROLES].reverse()

export function userWithRole(
  role: UserRole,
  attributes: Partial<Pick<User, 'email' | 'fullName' | 'isActive'>> = {}
) {
  return UserFactory.merge({ role, ...attributes }).create()
}

/** One active user per role. */
export async function usersByRole(): Promise<Record<UserRole, User>> {
  const users = {} as Record<UserRole, User>
  for (const role of USER_ROLES) users[role] = await userWithRole(role)
  return users
}

type Method = 'get' | 'post' | 'put' | 'patch' | 'delete'

/**
 * A request as a page would send it: signed in as `user` (or a visitor when null), with a valid
 * CSRF token and a form body for writes, never following redirects.
 */
export function asUser(
  client: ApiClient,
  user: User | null,
  method: Method,
  url: string,
  form?: Record<string, unknown>
): ApiRequest {
  let request = client[method](url).redirects(0).header('accept', 'text/html')
  if (user) request = request.loginAs(user)
  if (method !== 'get') request = request.withCsrfToken().form((form ?? {}) as never)
  return request
}

/** What a role should get: 'allowed' (any 2xx/3xx except a bounce to /login), 403, or 'login'. */
export type Expectation = 'allowed' | 403 | 'login'

export function assertAnswer(
  assert: Assert,
  response: ApiResponse,
  expected: Expectation,
  label: string
) {
  const status = response.status()
  const location = response.header('location')
  if (expected === 'login') {
    assert.equal(status, 302, `${label}: a visitor is redirected`)
    assert.equal(location, '/login', `${label}: to the login page`)
  } else if (expected === 403) {
    assert.equal(status, 403, `${label}: refused`)
    assert.include(response.header('content-type') ?? '', 'text/html', `${label}: as a page`)
  } else {
    assert.isBelow(status, 400, `${label}: allowed (got ${status})`)
    assert.notEqual(location, '/login', `${label}: not bounced to login`)
  }
}

/**
 * For each role in turn (and a visitor), sends the request and checks the answer: everyone below
 * `minimumRole` gets 403, the rest are allowed, a visitor goes to /login. `request` builds fresh
 * input per call (writes may consume it).
 */
export async function assertRoleGate(
  client: ApiClient,
  assert: Assert,
  options: {
    method: Method
    url: string | (() => string | Promise<string>)
    form?: () => Record<string, unknown> | Promise<Record<string, unknown>>
    minimumRole: UserRole
  }
) {
  const urlFor = async () => (typeof options.url === 'string' ? options.url : await options.url())
  const label = (who: string) => `${options.method.toUpperCase()} ${options.url} as ${who}`
  const visitor = await asUser(client, null, options.method, await urlFor(), await options.form?.())
  assertAnswer(assert, visitor, 'login', label('visitor'))
  for (const role of ROLES_ASCENDING) {
    const user = await userWithRole(role)
    const allowed = user.hasRole(options.minimumRole)
    const response = await asUser(
      client,
      user,
      options.method,
      await urlFor(),
      await options.form?.()
    )
    assertAnswer(assert, response, allowed ? 'allowed' : 403, label(role))
  }
}

/** Per-field messages a refused form flashed (`inputErrorsBag`), as the next page shows them. */
export function fieldErrors(response: ApiResponse): Record<string, string[]> {
  return (response.flashMessage('inputErrorsBag') as Record<string, string[]> | undefined) ?? {}
}

/**
 * After a group: no rows, and no queued jobs either (jobs earlier tests enqueued point at rows
 * that are gone, and would run in whatever test comes next that starts a worker).
 */
export async function leaveNothingBehind() {
  await emptyWorld()
  await db.rawQuery('delete from graphile_worker._private_jobs')
}

/** The HTML of a page fetched as `user`. */
export async function htmlOf(client: ApiClient, user: User | null, url: string) {
  const response = await asUser(client, user, 'get', url)
  return response.text()
}
