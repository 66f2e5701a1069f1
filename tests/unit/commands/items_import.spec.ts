import { test } from '@japa/runner'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import ace from '@adonisjs/core/services/ace'
import testUtils from '@adonisjs/core/services/test_utils'
import WorkItem from '#models/work_item'
import ItemsImport from '#commands/items_import'
import { ProjectFactory } from '#database/factories/project_factory'

async function run(argv: string[]) {
  ace.ui.logger.flushLogs()
  const command = await ace.create(ItemsImport, argv)
  await command.exec()
  return command
}

test.group('items:import', (group) => {
  let dir: string
  group.each.setup(() => testUtils.db().truncate())
  group.each.setup(() => {
    ace.ui.switchMode('raw')
    dir = mkdtempSync(join(tmpdir(), 'gatehouse-import-'))
    return () => {
      ace.ui.switchMode('normal')
      rmSync(dir, { recursive: true, force: true })
    }
  })

  test('imports 1,200 items in batches of 500, and a second run upserts by external_id', async ({
    assert,
  }) => {
    const project = await ProjectFactory.merge({ slug: 'shop' }).create()
    const file = join(dir, 'items.jsonl')
    const lines = Array.from({ length: 1200 }, (_, i) =>
      JSON.stringify({ external_id: `T-${i}`, title: `task ${i}`, priority: i % 3 })
    )
    writeFileSync(file, lines.join('\n') + '\n')

    const first = await run(['shop', file])
    first.assertSucceeded()
    assert.lengthOf(await WorkItem.query().where('projectId', project.id), 1200)

    lines[0] = JSON.stringify({ external_id: 'T-0', title: 'renamed', priority: 0 })
    writeFileSync(file, lines.join('\n'))
    const second = await run(['shop', file])
    second.assertSucceeded()
    const logs = second.logger
      .getLogs()
      .map((log) => log.message)
      .join('\n')
    assert.include(logs, '0 created, 1 updated, 1199 unchanged')
    assert.lengthOf(await WorkItem.query().where('projectId', project.id), 1200)
  }).timeout(120_000)

  test('one bad line imports nothing and names the line', async ({ assert }) => {
    await ProjectFactory.merge({ slug: 'shop' }).create()
    const file = join(dir, 'bad.jsonl')
    writeFileSync(file, `{"title": "fine"}\n{"priority": 1}\nnot json\n`)

    const command = await run(['shop', file])
    command.assertFailed()
    const logs = command.logger
      .getLogs()
      .map((log) => log.message)
      .join('\n')
    assert.include(logs, 'line 2: title')
    assert.include(logs, 'line 3:')
    assert.lengthOf(await WorkItem.all(), 0)
  })
})
