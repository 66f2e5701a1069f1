import { createHash } from 'node:crypto'
import db from '@adonisjs/lucid/services/db'
import type { TransactionClientContract } from '@adonisjs/lucid/types/database'

/**
 * The evidence record of a completed item (issue 16): a canonical JSON document (Postgres
 * jsonb text: keys sorted, no insignificant whitespace) of the item and every run with its
 * agent (key, name, model, version), gate verdicts with the facts they judged, costs and tests;
 * stored with its SHA-256 so that an exported file can be checked later.
 */
const DOCUMENT = `
  select jsonb_build_object(
           'evidence_version', 1,
           'work_item', to_jsonb(w),
           'runs', (select coalesce(jsonb_agg(
                             to_jsonb(r) || jsonb_build_object('agent', jsonb_build_object(
                               'id', a.id, 'key', a.key, 'name', a.name,
                               'model', a.model_name, 'version', a.model_version))
                             order by r.id), '[]'::jsonb)
                      from runs r left join agents a on a.id = r.agent_id
                     where r.work_item_id = w.id))::text as document
    from work_items w
   where w.id = ?`

export function sha256(content: string | Buffer) {
  return createHash('sha256').update(content).digest('hex')
}

export type EvidenceCheck =
  { ok: true; workItemId: number; sha256: string } | { ok: false; reason: string }

export default class Evidence {
  /** Stores the item's evidence in the completing transaction; a repeat keeps the first. */
  static async record(trx: TransactionClientContract, workItemId: number) {
    const { rows } = await trx.rawQuery(DOCUMENT, [workItemId])
    const document = rows[0].document as string
    await trx.rawQuery(
      `insert into work_item_evidence (work_item_id, document, sha256) values (?, ?, ?)
       on conflict (work_item_id) do nothing`,
      [workItemId, document, sha256(document)]
    )
  }

  static async find(workItemId: number) {
    const row = await db.from('work_item_evidence').where('work_item_id', workItemId).first()
    return row ? { document: row.document as string, sha256: row.sha256 as string } : null
  }

  /** A file's bytes against the stored hash of the item it names. */
  static async verify(content: Buffer): Promise<EvidenceCheck> {
    let workItemId: number
    try {
      workItemId = Number(JSON.parse(content.toString('utf8')).work_item.id)
    } catch {
      return { ok: false, reason: 'not an evidence document (unreadable JSON or no work_item.id)' }
    }
    const stored = Number.isSafeInteger(workItemId) ? await this.find(workItemId) : null
    if (!stored) return { ok: false, reason: `no evidence stored for work item ${workItemId}` }
    const actual = sha256(content)
    if (actual !== stored.sha256) {
      return {
        ok: false,
        reason: `work item ${workItemId}: the file's SHA-256 ${actual} is not the stored ${stored.sha256}`,
      }
    }
    return { ok: true, workItemId, sha256: actual }
  }
}
