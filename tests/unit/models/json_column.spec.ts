import { test } from '@japa/runner'
import db from '@adonisjs/lucid/services/db'
import testUtils from '@adonisjs/core/services/test_utils'
import Question from '#models/question'
import { QuestionFactory } from '#database/factories/question_factory'
import { claimedRun } from '#tests/support/claimed_run'

test.group('jsonColumn', (group) => {
  group.each.setup(() => testUtils.db().truncate())

  test('an array is stored as a jsonb array, not a Postgres array; null stays SQL NULL', async ({
    assert,
  }) => {
    const { item, project } = await claimedRun()
    const base = { workItemId: item.id, projectId: project.id }
    const withChoices = await QuestionFactory.apply('answered')
      .merge({ ...base, choices: ['a', 'b'] })
      .create()
    const without = await QuestionFactory.merge({ ...base, choices: null }).create()

    const { rows } = await db.rawQuery(
      `select id, jsonb_typeof(choices) as type, choices is null as is_sql_null
         from questions order by id`
    )
    assert.deepEqual(rows, [
      { id: withChoices.id, type: 'array', is_sql_null: false },
      { id: without.id, type: null, is_sql_null: true },
    ])
    const reloaded = await Question.findOrFail(withChoices.id)
    assert.deepEqual(reloaded.choices, ['a', 'b'])
  })
})
