import { readFile } from 'node:fs/promises'
import { randomBytes } from 'node:crypto'
import { DateTime } from 'luxon'
import app from '@adonisjs/core/services/app'
import db from '@adonisjs/lucid/services/db'
import { BaseSeeder } from '@adonisjs/lucid/seeders'
import Agent from '#models/agent'
import AuditEvent from '#models/audit_event'
import Policy from '#models/policy'
import Project, { type GatesConfig } from '#models/project'
import type Run from '#models/run'
import { type RunCosts, type RunTests } from '#models/run'
import User, { type UserRole } from '#models/user'
import WorkItem from '#models/work_item'
import AgentSeed from '#services/agent_seed'
import ClaimService from '#services/claims/claim_service'
import RunLifecycle from '#services/runs/run_lifecycle'

export class DatabaseNotEmpty extends Error {}

type DemoProject = {
  slug: string
  name: string
  brief: string
  state: 'active' | 'paused'
  gates: GatesConfig
  policies: Record<string, unknown>
}

type Outcome =
  | { kind: 'pending' }
  | { kind: 'cancelled'; whileRunning?: boolean }
  | { kind: 'timed_out' }
  | { kind: 'blocked'; reason: string }
  | { kind: 'running'; progress: string }
  | { kind: 'released'; reason: string }
  | { kind: 'failed'; error: string; costs: RunCosts }
  | { kind: 'succeeded'; costs: RunCosts; tests: RunTests; review?: 'approved' }

type DemoItem = {
  project: string
  title: string
  workType: string
  priority: number
  agent?: string
  approved?: boolean
  maxAttempts?: number
  /** Hours ago the run started, to spread history over the last day. */
  hoursAgo?: number
  outcome: Outcome
}

export type DemoSummary = {
  projects: number
  agents: number
  workItems: Record<string, number>
  runs: Record<string, number>
  users: { email: string; role: UserRole; password: string }[]
  tokens: { key: string; value: string }[]
}

const PROJECTS: DemoProject[] = [
  {
    slug: 'storefront',
    name: 'Storefront',
    brief:
      'The customer-facing shop (Next.js). Agents fix bugs and ship small features behind flags.',
    state: 'active',
    gates: { wip_limit: 4, tests_reported: true, max_cost_usd: 5, default_branch_green: true },
    policies: { max_attempts: 3, retry_backoff_seconds: 120 },
  },
  {
    slug: 'orders-api',
    name: 'Orders API',
    brief:
      'The orders service. Every change is approved before an agent takes it and reviewed after.',
    state: 'active',
    gates: { require_approval: true, human_review: true, monthly_budget_usd: 200 },
    policies: { max_attempts: 2 },
  },
  {
    slug: 'docs',
    name: 'Documentation',
    brief: 'Public docs site; paused while the information architecture is reworked.',
    state: 'paused',
    gates: {},
    policies: {},
  },
]

const ITEMS: DemoItem[] = [
  // storefront
  {
    project: 'storefront',
    title: 'Add a dark mode toggle to the settings page',
    workType: 'code',
    priority: 50,
    agent: 'claude-coder',
    hoursAgo: 22,
    outcome: {
      kind: 'succeeded',
      costs: {
        input_tokens: 182_400,
        output_tokens: 21_300,
        usd: 1.84,
        model: 'claude-sonnet-4.5',
      },
      tests: { passed: 214, failed: 0, skipped: 3 },
    },
  },
  {
    project: 'storefront',
    title: 'Fix the flaky checkout end-to-end test',
    workType: 'test',
    priority: 100,
    agent: 'tester',
    hoursAgo: 19,
    outcome: {
      kind: 'succeeded',
      costs: { input_tokens: 96_000, output_tokens: 8_200, usd: 0.71, model: 'claude-sonnet-4.5' },
      tests: { passed: 38, failed: 0 },
    },
  },
  {
    project: 'storefront',
    title: 'Show stock levels on product cards',
    workType: 'code',
    priority: 0,
    agent: 'codex-coder',
    hoursAgo: 15,
    outcome: {
      kind: 'succeeded',
      costs: { input_tokens: 140_000, output_tokens: 16_500, usd: 1.12, model: 'gpt-5-codex' },
      tests: { passed: 221, failed: 0 },
    },
  },
  {
    project: 'storefront',
    title: 'Upgrade to React 19',
    workType: 'code',
    priority: 10,
    agent: 'codex-coder',
    maxAttempts: 1,
    hoursAgo: 11,
    outcome: {
      kind: 'failed',
      error: 'build failed: 17 type errors after upgrading @types/react',
      costs: { input_tokens: 410_000, output_tokens: 52_000, usd: 3.35, model: 'gpt-5-codex' },
    },
  },
  {
    project: 'storefront',
    title: 'Cover the cart reducer with unit tests',
    workType: 'test',
    priority: 20,
    agent: 'tester',
    hoursAgo: 7,
    outcome: {
      kind: 'succeeded',
      costs: { input_tokens: 880_000, output_tokens: 64_000, usd: 7.2, model: 'claude-opus-4.1' },
      tests: { passed: 57, failed: 0 },
    },
  },
  {
    project: 'storefront',
    title: 'Migrate date formatting to the Intl API',
    workType: 'refactor',
    priority: 30,
    agent: 'claude-coder',
    hoursAgo: 3,
    outcome: {
      kind: 'failed',
      error: 'tests failed: 3 snapshot mismatches in order history',
      costs: { input_tokens: 120_000, output_tokens: 9_800, usd: 0.94, model: 'claude-sonnet-4.5' },
    },
  },
  {
    project: 'storefront',
    title: 'Lazy-load product images below the fold',
    workType: 'code',
    priority: 40,
    agent: 'claude-coder',
    outcome: { kind: 'running', progress: 'running the test suite (142/221)' },
  },
  {
    project: 'storefront',
    title: 'Investigate the memory leak in server-side rendering',
    workType: 'code',
    priority: 60,
    outcome: { kind: 'blocked', reason: 'waiting for a heap snapshot from the ops team' },
  },
  {
    project: 'storefront',
    title: 'Rewrite the onboarding copy',
    workType: 'code',
    priority: 0,
    agent: 'codex-coder',
    hoursAgo: 5,
    outcome: { kind: 'cancelled', whileRunning: true },
  },
  {
    project: 'storefront',
    title: 'Speed up the product search query',
    workType: 'code',
    priority: 5,
    agent: 'claude-coder',
    hoursAgo: 13,
    outcome: { kind: 'timed_out' },
  },
  {
    project: 'storefront',
    title: 'Remove the legacy coupon banner',
    workType: 'code',
    priority: 0,
    outcome: { kind: 'cancelled' },
  },
  {
    project: 'storefront',
    title: 'Fix CI: lint step fails on Node 24',
    workType: 'fix_ci',
    priority: 100,
    outcome: { kind: 'pending' },
  },
  {
    project: 'storefront',
    title: 'Add CSV export to the orders table',
    workType: 'code',
    priority: 50,
    outcome: { kind: 'pending' },
  },
  // orders-api
  {
    project: 'orders-api',
    title: 'Add an OpenAPI schema for /v2/orders',
    workType: 'code',
    priority: 50,
    agent: 'codex-coder',
    approved: true,
    hoursAgo: 9,
    outcome: {
      kind: 'succeeded',
      costs: { input_tokens: 75_000, output_tokens: 12_000, usd: 0.62, model: 'gpt-5-codex' },
      tests: { passed: 88, failed: 0 },
      review: 'approved',
    },
  },
  {
    project: 'orders-api',
    title: 'Rate-limit the public search endpoint',
    workType: 'code',
    priority: 80,
    agent: 'claude-coder',
    approved: true,
    hoursAgo: 1,
    outcome: {
      kind: 'succeeded',
      costs: { input_tokens: 230_000, output_tokens: 27_000, usd: 2.1, model: 'claude-sonnet-4.5' },
      tests: { passed: 91, failed: 0 },
    },
  },
  {
    project: 'orders-api',
    title: 'Review PR #311: webhook retries',
    workType: 'review',
    priority: 70,
    agent: 'reviewer',
    approved: true,
    hoursAgo: 2,
    outcome: { kind: 'released', reason: 'PR was force-pushed while reviewing; giving it back' },
  },
  {
    project: 'orders-api',
    title: 'Write regression tests for refund rounding',
    workType: 'test',
    priority: 40,
    agent: 'tester',
    approved: true,
    outcome: { kind: 'running', progress: 'reproducing the rounding bug with a failing test' },
  },
  {
    project: 'orders-api',
    title: 'Paginate /v2/customers',
    workType: 'code',
    priority: 30,
    outcome: { kind: 'pending' },
  },
  // docs (paused: its items wait)
  {
    project: 'docs',
    title: 'Document the deploy pipeline',
    workType: 'code',
    priority: 0,
    outcome: { kind: 'pending' },
  },
]

/**
 * `db:demo`: a small, believable Gatehouse for a first look. Everything goes through the
 * same model and service methods the API and admin pages use (claims, logs, completions,
 * gates, human actions), so the audit trail and states are real; only the runs' clock is
 * then moved back, spreading the history over the last day for the dashboard's chart.
 */
export class DemoData {
  static async isEmpty() {
    for (const table of ['projects', 'agents', 'work_items', 'runs']) {
      const [{ n }] = await db.from(table).count('* as n')
      if (Number(n) > 0) return false
    }
    return true
  }

  static async fill(onStep: (step: string) => void = () => {}): Promise<DemoSummary> {
    if (!(await this.isEmpty())) throw new DatabaseNotEmpty()

    onStep('agents')
    const definitions = await AgentSeed.parse(
      await readFile(app.makePath('config/agents.example.json'), 'utf8')
    )
    const seeded = await AgentSeed.apply(definitions, { tokens: true })
    const allAgents = await Agent.all()
    const agents = new Map(allAgents.map((agent) => [agent.key, agent]))

    onStep('users')
    const users = await this.#createUsers()
    const maintainer = users.find((user) => user.role === 'maintainer')!.user
    const reviewer = users.find((user) => user.role === 'reviewer')!.user

    onStep('projects')
    const projects = new Map<string, Project>()
    for (const definition of PROJECTS)
      projects.set(definition.slug, await this.#createProject(definition, maintainer))

    for (const [index, plan] of ITEMS.entries()) {
      onStep(`work item ${index + 1}/${ITEMS.length}`)
      const project = projects.get(plan.project)!
      const item = await this.#createItem(project, plan, maintainer)
      if (plan.approved) await item.approve(reviewer)
      await this.#play(item, project, plan, plan.agent ? agents.get(plan.agent)! : null, {
        maintainer,
        reviewer,
      })
    }
    // Paused last: its items were created while it was active, as they would have been.
    for (const definition of PROJECTS.filter((project) => project.state !== 'active')) {
      await this.#pause(projects.get(definition.slug)!, maintainer)
    }

    return {
      projects: projects.size,
      agents: agents.size,
      workItems: await countBy('work_items', 'status'),
      runs: await countBy('runs', 'status'),
      users: users.map(({ user, role, password }) => ({ email: user.email, role, password })),
      tokens: seeded.tokens.map(({ key, value }) => ({ key, value })),
    }
  }

  static async #createUsers() {
    const people: { email: string; fullName: string; role: UserRole }[] = [
      { email: 'maya@demo.gatehouse.local', fullName: 'Maya Maintainer', role: 'maintainer' },
      { email: 'rita@demo.gatehouse.local', fullName: 'Rita Reviewer', role: 'reviewer' },
    ]
    const created = []
    for (const person of people) {
      const password = randomBytes(12).toString('base64url')
      const user = await db.transaction(async (trx) => {
        const account = await User.create({ ...person, password, isActive: true }, { client: trx })
        await AuditEvent.record(trx, {
          actor: 'system',
          action: 'user.created',
          subject: account,
          details: { role: person.role, via: 'db:demo' },
        })
        return account
      })
      created.push({ user, role: person.role, password })
    }
    return created
  }

  static async #createProject(definition: DemoProject, by: User) {
    return db.transaction(async (trx) => {
      const project = await Project.create(
        {
          slug: definition.slug,
          name: definition.name,
          brief: definition.brief,
          state: 'active',
          repoFullName: `acme/${definition.slug}`,
          repoDefaultBranch: 'main',
          gatesConfig: definition.gates,
          defaultBranchStatus: 'passing',
          defaultBranchStatusAt: DateTime.now(),
        },
        { client: trx }
      )
      await AuditEvent.record(trx, {
        actor: by,
        action: 'project.created',
        subject: project,
        details: { gates: definition.gates },
      })
      for (const [key, value] of Object.entries(definition.policies)) {
        await Policy.create({ projectId: project.id, key, value }, { client: trx })
        await AuditEvent.record(trx, {
          actor: by,
          action: 'policy.updated',
          subject: project,
          details: { key, value },
        })
      }
      return project
    })
  }

  static async #pause(project: Project, by: User) {
    await db.transaction(async (trx) => {
      project.useTransaction(trx)
      project.state = 'paused'
      await project.save()
      await AuditEvent.record(trx, {
        actor: by,
        action: 'project.updated',
        subject: project,
        details: { state: 'paused' },
      })
    })
  }

  static async #createItem(project: Project, plan: DemoItem, by: User) {
    return db.transaction(async (trx) => {
      const item = await WorkItem.create(
        {
          projectId: project.id,
          workType: plan.workType,
          title: plan.title,
          payload: { body: `${plan.title}.`, labels: ['agent-ready'] },
          priority: plan.priority,
          maxAttempts: plan.maxAttempts ?? null,
          runAfter: DateTime.now().minus({ seconds: 1 }),
          source: 'manual',
        },
        { client: trx }
      )
      await AuditEvent.record(trx, {
        actor: by,
        action: 'work_item.created',
        subject: item,
        details: { title: item.title },
      })
      return item
    })
  }

  static async #play(
    item: WorkItem,
    project: Project,
    plan: DemoItem,
    agent: Agent | null,
    people: { maintainer: User; reviewer: User }
  ) {
    const { outcome } = plan
    if (outcome.kind === 'pending') return
    if (outcome.kind === 'cancelled' && !outcome.whileRunning) return item.cancel(people.maintainer)
    if (outcome.kind === 'blocked') return item.block(people.maintainer, outcome.reason)

    const claim = await ClaimService.claim(agent!, {
      projectSlug: project.slug,
      workTypes: [plan.workType],
    })
    if (claim.outcome !== 'claimed' || claim.workItem.id !== item.id) {
      throw new Error(`demo: ${agent!.key} could not claim "${item.title}" (${claim.outcome})`)
    }
    const run = claim.run
    await run.appendLogs(logLines(plan))

    if (outcome.kind === 'running') {
      await run.heartbeat(outcome.progress)
      return
    }
    if (outcome.kind === 'cancelled') {
      // A human cancels mid-run; the agent learns it on its heartbeat and reports back.
      await item.cancel(people.maintainer)
      await RunLifecycle.complete(run, agent!, { outcome: 'failed', error: 'cancelled on request' })
    } else if (outcome.kind === 'timed_out') {
      // The agent went silent: its lease runs out and the reaper's verdict applies.
      await db
        .from('runs')
        .where('id', run.id)
        .update({ lease_expires_at: db.raw(`now() - interval '1 minute'`) })
      await RunLifecycle.timeOut(run.id)
    } else if (outcome.kind === 'released') {
      await RunLifecycle.release(run, agent!, outcome.reason)
    } else if (outcome.kind === 'failed') {
      await RunLifecycle.complete(run, agent!, {
        outcome: 'failed',
        error: outcome.error,
        costs: outcome.costs,
      })
    } else {
      const slug = item.title
        .toLowerCase()
        .replace(/[^a-z0-9]+/g, '-')
        .replace(/^-|-$/g, '')
        .slice(0, 40)
      const prNumber = 300 + item.id
      await RunLifecycle.complete(run, agent!, {
        outcome: 'succeeded',
        summary: `${item.title}: done, tests green.`,
        branchName: `agent/${slug}`,
        prUrl: `https://github.com/${project.repoFullName}/pull/${prNumber}`,
        prNumber,
        headSha: randomBytes(20).toString('hex'),
        costs: outcome.costs,
        tests: outcome.tests,
      })
      if (outcome.review) {
        await run.refresh()
        await RunLifecycle.review(
          run,
          people.reviewer,
          outcome.review,
          'Looks good; matches the spec.'
        )
      }
    }
    if (plan.hoursAgo) await backdate(run, plan.hoursAgo)
  }
}

/** What an agent's output looks like, in the order it would print it. */
function logLines(plan: DemoItem) {
  const started = DateTime.now()
  const lines: {
    level: 'info' | 'warn' | 'error'
    stream: 'stdout' | 'stderr'
    message: string
  }[] = [
    { level: 'info', stream: 'stdout', message: `Cloning acme/${plan.project} (main)` },
    { level: 'info', stream: 'stdout', message: `Reading the issue: ${plan.title}` },
    { level: 'info', stream: 'stdout', message: 'Planning: 3 files to change' },
    { level: 'info', stream: 'stdout', message: '$ npm ci' },
    {
      level: 'warn',
      stream: 'stderr',
      message: 'npm warn deprecated inflight@1.0.6: This module is not supported',
    },
    { level: 'info', stream: 'stdout', message: 'added 1214 packages in 21s' },
    { level: 'info', stream: 'stdout', message: 'Editing src/ files…' },
    { level: 'info', stream: 'stdout', message: '$ npm test' },
  ]
  if (plan.outcome.kind === 'failed') {
    lines.push({ level: 'error', stream: 'stderr', message: plan.outcome.error })
  } else if (plan.outcome.kind === 'succeeded') {
    const { passed, failed } = plan.outcome.tests
    lines.push(
      { level: 'info', stream: 'stdout', message: `Tests: ${passed} passed, ${failed} failed` },
      { level: 'info', stream: 'stdout', message: 'Pushed branch and opened a pull request' }
    )
  }
  return lines.map((line, index) => ({ ...line, loggedAt: started.plus({ seconds: index * 7 }) }))
}

/**
 * Moves a finished run's clock back (the demo's history): the run took 12–40 minutes and
 * finished `hoursAgo` hours ago. Audit events keep their real times (they are immutable).
 */
async function backdate(run: Run, hoursAgo: number) {
  const minutes = 12 + ((run.id * 7) % 29)
  await db.rawQuery(
    `update runs
        set started_at = now() - make_interval(hours => ?, mins => ?),
            heartbeat_at = now() - make_interval(hours => ?),
            lease_expires_at = now() - make_interval(hours => ?) + interval '10 minutes',
            finished_at = now() - make_interval(hours => ?)
      where id = ?`,
    [hoursAgo, minutes, hoursAgo, hoursAgo, hoursAgo, run.id]
  )
  await db.rawQuery(
    `update run_logs set logged_at = logged_at - make_interval(hours => ?, mins => ?) where run_id = ?`,
    [hoursAgo, minutes, run.id]
  )
  await db.rawQuery(
    `update work_items set completed_at = now() - make_interval(hours => ?) where id = ? and completed_at is not null`,
    [hoursAgo, run.workItemId]
  )
}

async function countBy(table: string, column: string) {
  const rows = await db.from(table).select(column).count('* as n').groupBy(column).orderBy(column)
  return Object.fromEntries(rows.map((row) => [row[column], Number(row.n)]))
}

/**
 * The demo as a Lucid seeder. `db:demo` runs it after migrating and checking the database is
 * empty (showing progress, printing the summary); `node ace db:seed` runs it in development.
 */
export default class DemoSeeder extends BaseSeeder {
  static environment = ['development']

  /** Told each step as it starts (db:demo's progress line). */
  onStep: (step: string) => void = () => {}

  /** What the run created, with the one-time secrets. */
  summary?: DemoSummary

  async run() {
    this.summary = await DemoData.fill(this.onStep)
  }
}
