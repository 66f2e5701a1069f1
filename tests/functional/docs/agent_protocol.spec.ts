import { test } from '@japa/runner'
import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import db from '@adonisjs/lucid/services/db'
import { emptyWorld } from '#tests/support/test_database'
import { ProjectFactory } from '#database/factories/project_factory'
import { WorkItemFactory } from '#database/factories/work_item_factory'
import { AgentFactory } from '#database/factories/agent_factory'
import { agentWithToken } from '#tests/support/claimed_run'

const doc = fileURLToPath(new URL('../../../docs/agent-protocol.md', import.meta.url))

/** The shell agent as docs/agent-protocol.md shows it: the sh block after the marker. */
function shellAgent() {
  const text = readFileSync(doc, 'utf8')
  const match = /<!-- shell-agent -->\n```sh\n([\s\S]*?)```/.exec(text)
  if (!match) throw new Error('no shell agent block in docs/agent-protocol.md')
  return match[1]
}

test.group('docs/agent-protocol.md', (group) => {
  group.each.setup(() => emptyWorld())
  // The next spec file may read every row (Lucid's truncate cleans only after its own tests).
  group.teardown(() => emptyWorld())

  test('the minimal shell agent (at most 30 lines) drains 5 items', async ({ assert }) => {
    const script = shellAgent()
    assert.isAtMost(script.trimEnd().split('\n').length, 30)
    const project = await ProjectFactory.create()
    const { token } = await agentWithToken(AgentFactory.create())
    const items = []
    for (let i = 1; i <= 5; i++)
      items.push(
        await WorkItemFactory.apply('due')
          .merge({ projectId: project.id, title: `task ${i}` })
          .create()
      )

    const dir = mkdtempSync(join(tmpdir(), 'gatehouse-shell-agent-'))
    try {
      writeFileSync(join(dir, 'agent.sh'), script)
      const child = spawn('sh', [join(dir, 'agent.sh')], {
        env: {
          ...process.env,
          GATEHOUSE_URL: `http://${process.env.HOST}:${process.env.PORT}`,
          GATEHOUSE_TOKEN: token,
          AGENT_COMMAND: 'jq -r .title',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      })
      let output = ''
      child.stdout.on('data', (chunk) => (output += chunk))
      child.stderr.on('data', (chunk) => (output += chunk))
      const code = await new Promise((resolve) => child.once('exit', resolve))
      assert.equal(code, 0, output)
      assert.include(output, 'nothing to claim (204)')
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }

    for (const item of items) {
      await item.refresh()
      assert.equal(item.status, 'completed')
      const run = await db.from('runs').where('work_item_id', item.id).firstOrFail()
      assert.equal(run.status, 'succeeded')
      const logs = await db.from('run_logs').where('run_id', run.id).orderBy('seq')
      assert.deepEqual(
        logs.map((log) => [log.seq, log.message]),
        [[1, item.title]]
      )
    }
  }).timeout(60_000)
})
