import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createHash } from 'node:crypto'
import {
  recordedCheckRun,
  recordedComment,
  recordedCreatedStatus,
  recordedHeaders,
  recordedIssue,
  recordedLabel,
  recordedPullRequest,
  recordedReview,
  recordedStatus,
  recordedValidationFailed,
} from '#tests/support/fake_github/recorded_shapes'

export type RecordedRequest = {
  method: string
  path: string
  query: URLSearchParams
  authorization: string | undefined
  body: any
}

type IssueSpec = {
  number: number
  title?: string
  body?: string | null
  labels?: string[]
  state?: 'open' | 'closed'
  pullRequest?: boolean
}

/** A file a pull request changes: a path, or GitHub's file entry in part. */
type PullFileSpec =
  string | { filename: string; status?: string; previous_filename?: string; changes?: number }

type PullSpec = {
  number: number
  /** The head branch and its commit. */
  head: string
  sha: string
  /** Where the head branch lives: another full name is a fork. Default: the repository itself. */
  headRepo?: string
  base?: string
  title?: string
  body?: string | null
  state?: 'open' | 'closed'
  merged?: boolean
  createdAt?: Date
  updatedAt?: Date
  files?: PullFileSpec[]
}

/** An answer forced on the next matching requests (a failure GitHub may give). */
type Injected = {
  method?: string
  path: RegExp
  times: number
  status: number
  headers: Record<string, string>
  body: unknown
  /** The request takes effect, and only its answer is replaced (a 502 from GitHub's edge after the write). */
  afterApplying?: boolean
}

type Repository = {
  issues: Map<number, any>
  comments: Map<number, any[]>
  checkRuns: Map<string, any[]>
  statuses: Map<string, any[]>
  reviews: Map<number, any[]>
  pulls: Map<number, any>
  files: Map<number, any[]>
}

/**
 * A small GitHub over real HTTP for tests and local demos: the REST endpoints Gatehouse calls
 * (docs/github.md), answering with the shapes GitHub recorded (recorded_shapes.ts), keeping
 * what it was sent, and failing on demand (401, 404, 5xx, rate limits).
 */
export default class FakeGitHub {
  readonly requests: RecordedRequest[] = []
  /** Tokens GitHub accepts; any other is answered 401 Bad credentials. */
  readonly tokens = new Set<string>()
  #repos = new Map<string, Repository>()
  #injected: Injected[] = []
  #server: Server
  #nextId = 5000
  url = ''

  private constructor() {
    this.#server = createServer((request, response) => {
      this.#handle(request, response).catch((error) => {
        response.writeHead(500, { 'content-type': 'application/json' })
        response.end(JSON.stringify({ message: String(error) }))
      })
    })
  }

  static async start(options: { token?: string; port?: number } = {}) {
    const fake = new FakeGitHub()
    if (options.token) fake.tokens.add(options.token)
    await new Promise<void>((resolve) =>
      fake.#server.listen(options.port ?? 0, '127.0.0.1', resolve)
    )
    fake.url = `http://127.0.0.1:${(fake.#server.address() as AddressInfo).port}`
    return fake
  }

  async stop() {
    this.#server.closeAllConnections()
    await new Promise<void>((resolve) => this.#server.close(() => resolve()))
  }

  /** Forgets repositories, requests and injected failures (tokens stay). */
  reset() {
    this.requests.length = 0
    this.#repos.clear()
    this.#injected = []
  }

  // ---- the world GitHub knows ----

  issue(repoFullName: string, spec: IssueSpec) {
    const repo = this.#repo(repoFullName)
    const api = `${this.url}/repos/${repoFullName}`
    const issue = recordedIssue()
    Object.assign(issue, {
      id: this.#nextId++,
      number: spec.number,
      title: spec.title ?? `Issue ${spec.number}`,
      body: spec.body ?? null,
      state: spec.state ?? 'open',
      closed_at: spec.state === 'closed' ? new Date().toISOString() : null,
      url: `${api}/issues/${spec.number}`,
      repository_url: api,
      comments_url: `${api}/issues/${spec.number}/comments`,
      html_url: `https://github.com/${repoFullName}/issues/${spec.number}`,
      labels: (spec.labels ?? []).map((name) => ({ ...recordedLabel(), id: this.#nextId++, name })),
    })
    if (spec.pullRequest) {
      issue.html_url = `https://github.com/${repoFullName}/pull/${spec.number}`
      issue.pull_request = {
        url: `${api}/pulls/${spec.number}`,
        html_url: issue.html_url,
        diff_url: `${issue.html_url}.diff`,
        patch_url: `${issue.html_url}.patch`,
      }
    }
    repo.issues.set(spec.number, issue)
    return issue
  }

  checkRun(
    repoFullName: string,
    sha: string,
    name: string,
    status: string,
    conclusion: string | null = null
  ) {
    const runs = this.#list(this.#repo(repoFullName).checkRuns, sha)
    const run = recordedCheckRun()
    Object.assign(run, { id: this.#nextId++, head_sha: sha, name, status, conclusion })
    runs.unshift(run)
    return run
  }

  status(repoFullName: string, sha: string, context: string, state: string) {
    const statuses = this.#list(this.#repo(repoFullName).statuses, sha)
    const status = recordedStatus()
    Object.assign(status, {
      id: this.#nextId++,
      context,
      state,
      description: `${context} ${state}`,
    })
    statuses.unshift(status) // newest first, as GitHub lists them
    return status
  }

  /** A review; it is of the pull request's current head unless `commitId` names another commit. */
  review(repoFullName: string, prNumber: number, login: string, state: string, commitId?: string) {
    const repo = this.#repo(repoFullName)
    const reviews = this.#list(repo.reviews, prNumber)
    const review = recordedReview()
    Object.assign(review, {
      id: this.#nextId++,
      state,
      commit_id: commitId ?? repo.pulls.get(prNumber)?.head.sha ?? review.commit_id,
      user: { ...review.user, login, id: this.#hash(login) },
      submitted_at: new Date(Date.now() + reviews.length).toISOString(),
    })
    reviews.push(review) // oldest first, as GitHub lists them
    return review
  }

  /** A pull request on the repository (its head branch in `headRepo` when that is a fork). */
  pull(repoFullName: string, spec: PullSpec) {
    const repo = this.#repo(repoFullName)
    const pull = recordedPullRequest()
    const api = `${this.url}/repos/${repoFullName}`
    const html = `https://github.com/${repoFullName}/pull/${spec.number}`
    const created = (spec.createdAt ?? new Date()).toISOString()
    const state = spec.merged ? 'closed' : (spec.state ?? 'open')
    const side = (fullName: string, ref: string, sha: string, template: any) => {
      const [owner] = fullName.split('/')
      return {
        ...template,
        label: `${owner}:${ref}`,
        ref,
        sha,
        user: { ...template.user, login: owner },
        repo: { ...template.repo, full_name: fullName, name: fullName.split('/')[1] },
      }
    }
    Object.assign(pull, {
      id: this.#nextId++,
      number: spec.number,
      url: `${api}/pulls/${spec.number}`,
      html_url: html,
      diff_url: `${html}.diff`,
      patch_url: `${html}.patch`,
      issue_url: `${api}/issues/${spec.number}`,
      statuses_url: `${api}/statuses/${spec.sha}`,
      title: spec.title ?? `Pull request ${spec.number}`,
      body: spec.body ?? null,
      state,
      merged: spec.merged ?? false,
      merged_at: spec.merged ? created : null,
      closed_at: state === 'closed' ? created : null,
      created_at: created,
      updated_at: (spec.updatedAt ?? spec.createdAt ?? new Date()).toISOString(),
      head: side(spec.headRepo ?? repoFullName, spec.head, spec.sha, pull.head),
      base: side(repoFullName, spec.base ?? 'main', pull.base.sha, pull.base),
      changed_files: (spec.files ?? []).length,
    })
    repo.pulls.set(spec.number, pull)
    repo.files.set(
      spec.number,
      (spec.files ?? []).map((file) => this.#pullFile(repoFullName, spec.sha, file))
    )
    return pull
  }

  /** New commits on a pull request's head branch (what a `synchronize` webhook announces). */
  push(repoFullName: string, prNumber: number, sha: string, files?: PullFileSpec[]) {
    const repo = this.#repo(repoFullName)
    const pull = repo.pulls.get(prNumber)
    if (!pull) throw new Error(`No pull request #${prNumber} on ${repoFullName}`)
    pull.head.sha = sha
    pull.statuses_url = `${this.url}/repos/${repoFullName}/statuses/${sha}`
    pull.updated_at = new Date().toISOString()
    if (files) {
      repo.files.set(
        prNumber,
        files.map((file) => this.#pullFile(repoFullName, sha, file))
      )
      pull.changed_files = files.length
    }
    return pull
  }

  /** Statuses set on a commit, newest first (what Gatehouse posted included). */
  statuses(repoFullName: string, sha: string): any[] {
    return this.#repo(repoFullName).statuses.get(sha) ?? []
  }

  /** Deletes an issue comment, as a person may on GitHub. */
  deleteComment(repoFullName: string, commentId: number) {
    for (const comments of this.#repo(repoFullName).comments.values()) {
      const index = comments.findIndex((comment) => comment.id === commentId)
      if (index >= 0) comments.splice(index, 1)
    }
  }

  /** Pull requests opened through the API, oldest first. */
  pulls(repoFullName: string): any[] {
    return [...this.#repo(repoFullName).pulls.values()]
  }

  comments(repoFullName: string, issueNumber: number): any[] {
    return this.#repo(repoFullName).comments.get(issueNumber) ?? []
  }

  /** The next `times` requests matching `path` get this answer instead. */
  fail(
    path: RegExp,
    status: number,
    options: {
      times?: number
      method?: string
      headers?: Record<string, string>
      body?: unknown
      afterApplying?: boolean
    } = {}
  ) {
    this.#injected.push({
      path,
      status,
      method: options.method,
      afterApplying: options.afterApplying,
      times: options.times ?? 1,
      headers: options.headers ?? {},
      body: options.body ?? {
        message: failureMessage(status),
        documentation_url: 'https://docs.github.com/rest',
      },
    })
  }

  /** The next `times` requests matching `path` get no answer at all (a hanging GitHub). */
  hang(path: RegExp, times = 1) {
    this.#injected.push({ path, status: 0, times, headers: {}, body: null })
  }

  /** A primary rate limit: 403 (or 429) with x-ratelimit-remaining 0 and the reset time. */
  rateLimit(
    path: RegExp,
    options: { status?: 403 | 429; resetInSeconds?: number; times?: number } = {}
  ) {
    const reset = Math.ceil(Date.now() / 1000) + (options.resetInSeconds ?? 3600)
    this.fail(path, options.status ?? 403, {
      times: options.times,
      headers: {
        'x-ratelimit-remaining': '0',
        'x-ratelimit-limit': '5000',
        'x-ratelimit-reset': String(reset),
      },
      body: {
        message: 'API rate limit exceeded for user ID 1.',
        documentation_url:
          'https://docs.github.com/rest/overview/resources-in-the-rest-api#rate-limiting',
      },
    })
  }

  requestsTo(method: string, path: RegExp) {
    return this.requests.filter((request) => request.method === method && path.test(request.path))
  }

  // ---- HTTP ----

  async #handle(request: IncomingMessage, response: ServerResponse) {
    const url = new URL(request.url ?? '/', this.url)
    const body = await readJson(request)
    const recorded: RecordedRequest = {
      method: request.method ?? 'GET',
      path: url.pathname,
      query: url.searchParams,
      authorization: request.headers.authorization,
      body,
    }
    this.requests.push(recorded)

    const injected = this.#injected.find(
      (candidate) =>
        candidate.times > 0 &&
        candidate.path.test(url.pathname) &&
        (!candidate.method || candidate.method === recorded.method)
    )
    if (injected) {
      injected.times--
      if (injected.status === 0) return
      if (injected.afterApplying) {
        const discarded = {
          writeHead: () => discarded,
          end: () => discarded,
        } as unknown as ServerResponse
        await this.#answer(request, discarded, url, body, recorded)
      }
      return send(response, injected.status, injected.body, injected.headers)
    }
    return this.#answer(request, response, url, body, recorded)
  }

  async #answer(
    request: IncomingMessage,
    response: ServerResponse,
    url: URL,
    body: any,
    recorded: RecordedRequest
  ) {
    const token = request.headers.authorization?.replace(/^(token|bearer)\s+/i, '')
    if (!token || !this.tokens.has(token)) {
      return send(response, 401, {
        message: 'Bad credentials',
        documentation_url: 'https://docs.github.com/rest',
      })
    }

    const route = url.pathname.match(/^\/repos\/([^/]+\/[^/]+)\/(.+)$/)
    const repo = route ? this.#repos.get(route[1].toLowerCase()) : undefined
    if (!route || !repo)
      return send(response, 404, {
        message: 'Not Found',
        documentation_url: 'https://docs.github.com/rest',
      })
    const rest = route[2]
    let match: RegExpMatchArray | null

    if (recorded.method === 'GET' && rest === 'issues') {
      const state = url.searchParams.get('state') ?? 'open'
      const labels = (url.searchParams.get('labels') ?? '').split(',').filter(Boolean)
      const issues = [...repo.issues.values()]
        .filter((issue) => state === 'all' || issue.state === state)
        .filter((issue) =>
          labels.every((label) => issue.labels.some((own: any) => own.name === label))
        )
        .sort((a, b) => b.number - a.number)
      return this.#page(response, url, issues)
    }
    if ((match = rest.match(/^issues\/(\d+)$/)) && recorded.method === 'GET') {
      const issue = repo.issues.get(Number(match[1]))
      return issue ? send(response, 200, issue) : send(response, 404, { message: 'Not Found' })
    }
    if ((match = rest.match(/^issues\/(\d+)\/comments$/))) {
      const number = Number(match[1])
      if (!repo.issues.has(number)) return send(response, 404, { message: 'Not Found' })
      const comments = this.#list(repo.comments, number)
      if (recorded.method === 'GET') return this.#page(response, url, comments)
      if (recorded.method === 'POST') {
        if (typeof body?.body !== 'string')
          return send(response, 422, { message: 'Invalid request.' })
        const comment = recordedComment()
        Object.assign(comment, {
          id: this.#nextId++,
          body: body.body,
          issue_url: `${this.url}/repos/${route[1]}/issues/${number}`,
          html_url: `https://github.com/${route[1]}/issues/${number}#issuecomment-${this.#nextId}`,
          created_at: new Date().toISOString(),
        })
        comments.push(comment)
        return send(response, 201, comment)
      }
    }
    if ((match = rest.match(/^commits\/([^/]+)\/check-runs$/)) && recorded.method === 'GET') {
      const runs = this.#refRuns(repo.checkRuns, decodeURIComponent(match[1]))
      const { items, headers } = paginate(url, runs, this.url)
      return send(response, 200, { total_count: runs.length, check_runs: items }, headers)
    }
    if ((match = rest.match(/^commits\/([^/]+)\/statuses$/)) && recorded.method === 'GET') {
      return this.#page(response, url, this.#refRuns(repo.statuses, decodeURIComponent(match[1])))
    }
    if (rest === 'pulls' && recorded.method === 'GET') {
      const state = url.searchParams.get('state') ?? 'open'
      const head = url.searchParams.get('head')
      const pulls = [...repo.pulls.values()]
        .filter((pull) => state === 'all' || pull.state === state)
        .filter((pull) => !head || `${pull.head.user.login}:${pull.head.ref}` === head)
        .reverse()
      return this.#page(response, url, pulls)
    }
    if (rest === 'pulls' && recorded.method === 'POST') {
      return this.#openPull(response, route[1], repo, body)
    }
    if ((match = rest.match(/^pulls\/(\d+)$/))) {
      const pull = repo.pulls.get(Number(match[1]))
      if (!pull) return send(response, 404, { message: 'Not Found' })
      if (recorded.method === 'GET') return send(response, 200, pull)
      if (recorded.method === 'PATCH') {
        for (const field of ['title', 'body', 'state'] as const) {
          if (typeof body?.[field] === 'string') pull[field] = body[field]
        }
        pull.updated_at = new Date().toISOString()
        return send(response, 200, pull)
      }
    }
    if ((match = rest.match(/^pulls\/(\d+)\/reviews$/)) && recorded.method === 'GET') {
      return this.#page(response, url, repo.reviews.get(Number(match[1])) ?? [])
    }
    if ((match = rest.match(/^pulls\/(\d+)\/files$/)) && recorded.method === 'GET') {
      const number = Number(match[1])
      if (!repo.pulls.has(number)) return notFound(response)
      return this.#page(response, url, repo.files.get(number) ?? [])
    }
    if ((match = rest.match(/^statuses\/([^/]+)$/)) && recorded.method === 'POST') {
      const sha = decodeURIComponent(match[1])
      const invalid = statusProblem(sha, body)
      if (invalid) {
        const failed = recordedValidationFailed()
        failed.errors = [{ resource: 'Status', ...invalid }]
        failed.documentation_url =
          'https://docs.github.com/rest/commits/statuses#create-a-commit-status'
        return send(response, 422, failed)
      }
      const status = recordedCreatedStatus()
      Object.assign(status, {
        id: this.#nextId++,
        url: `${this.url}/repos/${route[1]}/statuses/${sha}`,
        state: body.state,
        description: body.description ?? null,
        target_url: body.target_url ?? null,
        context: body.context ?? 'default',
        created_at: new Date().toISOString(),
        updated_at: new Date().toISOString(),
      })
      this.#list(repo.statuses, sha).unshift(status)
      return send(response, 201, status)
    }
    if ((match = rest.match(/^issues\/comments\/(\d+)$/)) && recorded.method === 'PATCH') {
      const id = Number(match[1])
      const comment = [...repo.comments.values()].flat().find((candidate) => candidate.id === id)
      if (!comment) return notFound(response)
      if (typeof body?.body !== 'string') {
        const failed = recordedValidationFailed()
        failed.errors = [{ resource: 'IssueComment', code: 'missing_field', field: 'body' }]
        return send(response, 422, failed)
      }
      Object.assign(comment, { body: body.body, updated_at: new Date().toISOString() })
      return send(response, 200, comment)
    }
    return send(response, 404, {
      message: 'Not Found',
      documentation_url: 'https://docs.github.com/rest',
    })
  }

  #pullFile(repoFullName: string, sha: string, spec: PullFileSpec) {
    const file = typeof spec === 'string' ? { filename: spec } : spec
    const blob = `https://github.com/${repoFullName}/blob/${sha}/${file.filename}`
    return {
      sha: createHash('sha1').update(file.filename).digest('hex'),
      filename: file.filename,
      status: file.status ?? (file.previous_filename ? 'renamed' : 'modified'),
      additions: file.changes ?? 1,
      deletions: 0,
      changes: file.changes ?? 1,
      blob_url: blob,
      raw_url: blob.replace('/blob/', '/raw/'),
      contents_url: `${this.url}/repos/${repoFullName}/contents/${file.filename}?ref=${sha}`,
      patch: '@@ -1 +1 @@',
      ...(file.previous_filename ? { previous_filename: file.previous_filename } : {}),
    }
  }

  /** POST /pulls: numbered after the repository's issues and pull requests, as GitHub does. */
  #openPull(response: ServerResponse, fullName: string, repo: Repository, body: any) {
    if (
      typeof body?.title !== 'string' ||
      typeof body?.head !== 'string' ||
      typeof body?.base !== 'string'
    ) {
      return send(response, 422, { message: 'Validation Failed' })
    }
    const [owner] = fullName.split('/')
    const head = body.head.includes(':') ? body.head.split(':')[1] : body.head
    const open = [...repo.pulls.values()].find(
      (pull) => pull.state === 'open' && pull.head.ref === head
    )
    if (open) {
      return send(response, 422, {
        message: 'Validation Failed',
        errors: [
          {
            resource: 'PullRequest',
            code: 'custom',
            message: `A pull request already exists for ${owner}:${head}.`,
          },
        ],
      })
    }
    const number = Math.max(0, ...repo.issues.keys(), ...repo.pulls.keys()) + 1
    const pull = recordedPullRequest()
    const now = new Date().toISOString()
    Object.assign(pull, {
      id: this.#nextId++,
      number,
      state: 'open',
      title: body.title,
      body: body.body ?? null,
      created_at: now,
      updated_at: now,
      url: `${this.url}/repos/${fullName}/pulls/${number}`,
      html_url: `https://github.com/${fullName}/pull/${number}`,
      head: {
        ...pull.head,
        ref: head,
        label: `${owner}:${head}`,
        user: { ...pull.head.user, login: owner },
        repo: { ...pull.head.repo, full_name: fullName, name: fullName.split('/')[1] },
      },
      base: {
        ...pull.base,
        ref: body.base,
        label: `${owner}:${body.base}`,
        repo: { ...pull.base.repo, full_name: fullName, name: fullName.split('/')[1] },
      },
    })
    repo.pulls.set(number, pull)
    return send(response, 201, pull)
  }

  #page(response: ServerResponse, url: URL, all: any[]) {
    const { items, headers } = paginate(url, all, this.url)
    return send(response, 200, items, headers)
  }

  /** A ref is a SHA or a branch name; tests register facts for either under that key. */
  #refRuns(map: Map<string, any[]>, ref: string) {
    return map.get(ref) ?? []
  }

  #repo(fullName: string): Repository {
    const key = fullName.toLowerCase()
    let repo = this.#repos.get(key)
    if (!repo) {
      repo = {
        issues: new Map(),
        comments: new Map(),
        checkRuns: new Map(),
        statuses: new Map(),
        reviews: new Map(),
        pulls: new Map(),
        files: new Map(),
      }
      this.#repos.set(key, repo)
    }
    return repo
  }

  #list<K>(map: Map<K, any[]>, key: K) {
    let list = map.get(key)
    if (!list) {
      list = []
      map.set(key, list)
    }
    return list
  }

  #hash(value: string) {
    return [...value].reduce((sum, char) => (sum * 31 + char.charCodeAt(0)) % 1_000_000, 7)
  }
}

/** GitHub's page/per_page pagination with its Link header (rel next/last). */
function paginate(url: URL, all: any[], base: string) {
  const perPage = Math.min(Number(url.searchParams.get('per_page') ?? 30) || 30, 100)
  const page = Math.max(Number(url.searchParams.get('page') ?? 1) || 1, 1)
  const last = Math.max(Math.ceil(all.length / perPage), 1)
  const items = all.slice((page - 1) * perPage, page * perPage)
  const link = (target: number) => {
    const next = new URL(url.pathname + url.search, base)
    next.searchParams.set('page', String(target))
    next.searchParams.set('per_page', String(perPage))
    return next.toString()
  }
  const links: string[] = []
  if (page < last) links.push(`<${link(page + 1)}>; rel="next"`, `<${link(last)}>; rel="last"`)
  if (page > 1) links.push(`<${link(1)}>; rel="first"`, `<${link(page - 1)}>; rel="prev"`)
  const headers: Record<string, string> = links.length ? { link: links.join(', ') } : {}
  return { items, headers }
}

function send(
  response: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {}
) {
  // Headers that describe the recorded response itself, not the one we send.
  const recorded = recordedHeaders()
  for (const name of ['content-length', 'connection', 'etag', 'location']) delete recorded[name]
  const payload = JSON.stringify(body)
  response.writeHead(status, {
    ...recorded,
    'x-ratelimit-reset': String(Math.ceil(Date.now() / 1000) + 3600),
    'date': new Date().toUTCString(),
    ...headers,
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(payload),
  })
  response.end(payload)
}

async function readJson(request: IncomingMessage) {
  const chunks: Buffer[] = []
  for await (const chunk of request) chunks.push(chunk as Buffer)
  if (chunks.length === 0) return null
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'))
  } catch {
    return null
  }
}

function notFound(response: ServerResponse) {
  return send(response, 404, {
    message: 'Not Found',
    documentation_url: 'https://docs.github.com/rest',
  })
}

/** What GitHub's validation refuses in a new commit status (422), or null. */
function statusProblem(sha: string, body: any) {
  if (!/^[0-9a-f]{40}$/i.test(sha))
    return { code: 'invalid', field: 'sha', message: `No commit found for SHA: ${sha}` }
  if (!['error', 'failure', 'pending', 'success'].includes(body?.state))
    return { code: 'invalid', field: 'state' }
  if (typeof body.description === 'string' && body.description.length > 140)
    return {
      code: 'custom',
      field: 'description',
      message: 'description is too long (maximum is 140 characters)',
    }
  return null
}

function failureMessage(status: number) {
  if (status === 401) return 'Bad credentials'
  if (status === 404) return 'Not Found'
  if (status >= 500) return 'Server Error'
  return 'Error'
}
