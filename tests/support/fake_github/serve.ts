import FakeGitHub from '#tests/support/fake_github/fake_github'

/**
 * The fake GitHub as a standalone server for local demos:
 *   FAKE_GITHUB_TOKEN=demo FAKE_GITHUB_REPO=acme/widgets \
 *     node --import=@poppinss/ts-exec tests/support/fake_github/serve.ts
 * then start Gatehouse with GITHUB_API_URL set to the printed URL and a project on that
 * repository whose token secret resolves to the same token.
 */
const token = process.env.FAKE_GITHUB_TOKEN ?? 'demo-token'
const repo = process.env.FAKE_GITHUB_REPO ?? 'acme/widgets'
const fake = await FakeGitHub.start({ token, port: Number(process.env.FAKE_GITHUB_PORT ?? 0) })
fake.issue(repo, {
  number: 1,
  title: 'Fix the flaky login test',
  body: 'It fails one run in ten.',
  labels: ['agent-ready', 'P0', 'type:fix_ci'],
})
fake.issue(repo, {
  number: 2,
  title: 'Document the claim API',
  labels: ['agent-ready', 'type:docs'],
})
fake.issue(repo, { number: 3, title: 'Not for agents yet', labels: ['needs-design'] })
fake.checkRun(repo, 'main', 'ci', 'completed', 'success')
process.stdout.write(`fake GitHub on ${fake.url} (token ${token}, repository ${repo})\n`)
process.on('SIGINT', () => fake.stop().then(() => process.exit(0)))
process.on('SIGTERM', () => fake.stop().then(() => process.exit(0)))
