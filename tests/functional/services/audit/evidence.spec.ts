import { test } from '@japa/runner'
import { spawn } from 'node:child_process'
import { mkdtemp, readFile, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import testUtils from '@adonisjs/core/services/test_utils'
import { claimedRun } from '#tests/support/claimed_run'
import Evidence, { sha256 } from '#services/audit/evidence'
import { userWithRole } from '#tests/support/admin_pages'

const appRoot = fileURLToPath(new URL('../../../../', import.meta.url))

function ace(argv: string[]) {
  const child = spawn(process.execPath, ['ace.js', ...argv], {
    cwd: appRoot,
    env: { ...process.env, NODE_ENV: 'development' },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  child.stdout!.on('data', (chunk) => (output += chunk))
  child.stderr!.on('data', (chunk) => (output += chunk))
  return new Promise<{ code: number | null; output: string }>((resolve) =>
    child.once('close', (code) => resolve({ code, output }))
  )
}

test.group('Evidence of a completed item', (group) => {
  group.each.setup(() => testUtils.db().truncate())

  test('is stored at completion, exported, verified, and fails after one byte changes', async ({
    client,
    assert,
  }) => {
    const { run, item, token, agent } = await claimedRun()
    const completion = await client
      .post(`/api/v1/runs/${run.id}/complete`)
      .bearerToken(token)
      .json({
        outcome: 'succeeded',
        pr_number: 7,
        head_sha: 'abc1234def',
        costs: { input_tokens: 1200, output_tokens: 300, usd: 0.42, model: 'claude' },
        tests: { passed: 12, failed: 0, skipped: 1 },
      })
    completion.assertStatus(200)

    const stored = await Evidence.find(item.id)
    assert.isNotNull(stored)
    assert.equal(stored!.sha256, sha256(stored!.document))
    const document = JSON.parse(stored!.document)
    assert.equal(document.work_item.id, item.id)
    assert.equal(document.work_item.status, 'completed')
    assert.lengthOf(document.runs, 1)
    assert.equal(document.runs[0].agent.key, agent.key)
    assert.deepEqual(document.runs[0].tests, { passed: 12, failed: 0, skipped: 1 })
    assert.equal(document.runs[0].head_sha, 'abc1234def')
    assert.equal(document.runs[0].gate_status, 'passed')

    const viewer = await userWithRole('viewer')
    const page = await client.get(`/work-items/${item.id}`).loginAs(viewer)
    assert.include(page.text(), `/work-items/${item.id}/evidence`)
    const download = await client.get(`/work-items/${item.id}/evidence`).loginAs(viewer)
    download.assertStatus(200)
    assert.equal(download.header('x-evidence-sha256'), stored!.sha256)
    assert.equal(download.text(), stored!.document)
    assert.include(download.header('content-disposition') ?? '', 'attachment')

    const dir = await mkdtemp(join(tmpdir(), 'evidence-'))
    const file = join(dir, 'evidence.json')
    const exported = await ace(['evidence:export', String(item.id), '--out', file])
    assert.equal(exported.code, 0, exported.output)
    assert.equal(await readFile(file, 'utf8'), stored!.document)

    const verified = await ace(['evidence:verify', file])
    assert.equal(verified.code, 0, verified.output)
    assert.include(verified.output, `Evidence of work item ${item.id} verified`)

    const bytes = await readFile(file)
    const at = bytes.indexOf('abc1234def')
    bytes[at] = 'x'.charCodeAt(0)
    await writeFile(file, bytes)
    const tampered = await ace(['evidence:verify', file])
    assert.equal(tampered.code, 1)
    assert.include(tampered.output, 'Evidence does not verify')
    const check = await Evidence.verify(bytes)
    assert.isFalse(check.ok)
  }).timeout(60_000)
})
