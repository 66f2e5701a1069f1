import { readdir } from 'node:fs/promises'
import db from '@adonisjs/lucid/services/db'
import { BaseModel } from '@adonisjs/lucid/orm'
import type { LucidModel, LucidRow } from '@adonisjs/lucid/types/model'
import { errors } from '@vinejs/vine'
import { unstorableField } from '#validators/storable_text'

let bounds: Promise<Map<string, number>> | undefined

/** Every varchar column's length, read from Postgres once: the schema is the source of truth. */
function columnBounds(): Promise<Map<string, number>> {
  bounds ??= db
    .rawQuery(
      `select table_name, column_name, character_maximum_length as max
         from information_schema.columns
        where table_schema = current_schema() and character_maximum_length is not null`
    )
    .then(({ rows }: { rows: { table_name: string; column_name: string; max: number }[] }) => {
      return new Map(rows.map((row) => [`${row.table_name}.${row.column_name}`, row.max]))
    })
    .catch((error) => {
      bounds = undefined
      throw error
    })
  return bounds
}

/**
 * Refuses a save that Postgres would answer with a 500 (a 422 naming the column, which is the
 * form field of that name): a string longer than its column, or NUL / an unpaired surrogate
 * in any string or JSON value, e.g. JSON typed into a form and parsed after the request was
 * checked. Validators bound the fields they know; this holds for every model and every path.
 */
async function checkStorableRow(row: LucidRow) {
  const Model = row.constructor as LucidModel
  const limits = await columnBounds()
  const messages = []
  for (const [attribute, value] of Object.entries(row.$dirty)) {
    const column = Model.$getColumn(attribute)?.columnName ?? attribute
    const unstorable = unstorableField(value, column)
    if (unstorable !== null) {
      messages.push({
        field: column,
        rule: 'storableText',
        message: `The ${unstorable} field must not contain NUL characters or unpaired surrogates`,
      })
      continue
    }
    if (typeof value !== 'string') continue
    const max = limits.get(`${Model.table}.${column}`)
    if (max === undefined || value.length <= max || [...value].length <= max) continue
    messages.push({
      field: column,
      rule: 'maxLength',
      message: `The ${column} field must not be longer than ${max} characters`,
    })
  }
  if (messages.length) throw new errors.E_VALIDATION_ERROR(messages)
}

/** Hooks the check into every model in app/models (a preload: once per process). */
export async function boundEveryModel() {
  const folder = new URL('../models/', import.meta.url)
  for (const file of await readdir(folder)) {
    if (!/\.(ts|js)$/.test(file) || file.endsWith('.d.ts')) continue
    const { default: Model } = await import(new URL(file, folder).href)
    if (typeof Model !== 'function' || !(Model.prototype instanceof BaseModel)) continue
    Model.boot()
    Model.before('save', checkStorableRow)
  }
}
