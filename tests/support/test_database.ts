import { chmodSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import db from '@adonisjs/lucid/services/db'
import DatabaseServer from '#infrastructure/database_server'
import Setting, { type Settings } from '#models/setting'

/**
 * DATABASE_URL names the test database (CI: the machine's Postgres); it is created when
 * missing. Without it, a throwaway embedded cluster (fsync off) lives for this run only.
 */
export async function prepareTestDatabase() {
  if (!DatabaseServer.isConfigured()) {
    const directory = mkdtempSync(join(tmpdir(), 'gatehouse-test-'))
    // As root, Postgres runs as the postgres user, which must reach the cluster inside.
    chmodSync(directory, 0o755)
    await DatabaseServer.ensure({ directory, persistent: false, fastUnsafe: true })
    await allowEmptyingTheAuditLog()
    return
  }
  const url = new URL(DatabaseServer.connectionString())
  const database = decodeURIComponent(url.pathname.slice(1))
  const maintenance = new URL(url)
  maintenance.pathname = '/postgres'
  const client = new pg.Client({ connectionString: maintenance.toString() })
  client.on('error', () => {})
  await client.connect()
  try {
    const exists = await client.query('select 1 from pg_database where datname = $1', [database])
    if (exists.rowCount === 0)
      await client.query(`create database "${database.replace(/"/g, '""')}"`)
  } finally {
    await client.end()
  }
  await allowEmptyingTheAuditLog()
}

/**
 * Tests empty every table between them, the audit log included, which production databases
 * refuse (migration 0420): the test database, and only it, opts out. Set before any pool
 * connects, so every connection sees it.
 */
async function allowEmptyingTheAuditLog() {
  const url = new URL(DatabaseServer.connectionString())
  const database = decodeURIComponent(url.pathname.slice(1))
  const client = new pg.Client({ connectionString: url.toString() })
  client.on('error', () => {})
  await client.connect()
  try {
    await client.query(
      `alter database "${database.replace(/"/g, '""')}" set gatehouse.audit_truncate_allowed = on`
    )
  } finally {
    await client.end()
  }
}

/** The global switches, as an admin would set them. */
export async function setSettings(settings: Partial<Settings>) {
  for (const [key, value] of Object.entries(settings)) {
    await db.rawQuery(
      `insert into settings (key, value) values (?, ?::jsonb)
       on conflict (key) do update set value = excluded.value, updated_at = now()`,
      [key, JSON.stringify(value)]
    )
  }
}

/**
 * An empty world before each test (Lucid's truncate() only truncates after a test, leaving
 * whatever ran before visible to the first one), with the settings rows the migration seeds.
 */
export async function emptyWorld() {
  const { rows } = await db.rawQuery(
    `select string_agg(format('%I', tablename), ', ') as tables from pg_tables
      where schemaname = 'public' and tablename not like 'adonis_schema%'`
  )
  await db.rawQuery(`truncate ${rows[0].tables} restart identity cascade`)
  await setSettings(Setting.fromValues({}))
}
