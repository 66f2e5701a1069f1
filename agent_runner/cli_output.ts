import type { OutputPath, OutputSpec } from '#agent_runner/agent_preset'

export type Costs = { usd?: number; input_tokens?: number; output_tokens?: number; model?: string }

/** What a coding CLI's output said about its run, read as its preset describes. */
export type CliReading = {
  costs?: Costs
  summary?: string
  /** The CLI said it failed (e.g. Claude Code's `is_error`), whatever its exit code. */
  failed: boolean
  error?: string
  /** format `last_json_line`: the command's own report (spec §5 complete fields). */
  report?: Record<string, unknown>
}

/** The most stdout kept to find a final JSON document in (Gemini CLI pretty-prints it). */
const MAX_KEPT_BYTES = 8 * 1024 * 1024
const MAX_SUMMARY_CHARS = 10_000

/**
 * Reads a CLI's stdout line by line as its preset's `output` says: the final JSON document
 * (`json`), the matching events of a JSON Lines stream (`jsonl`, numbers summed over events)
 * or the last line as a report (`last_json_line`).
 */
export default class CliOutput {
  #kept: string[] = []
  #keptBytes = 0
  #events: unknown[] = []
  #lastLine = ''

  constructor(readonly spec: OutputSpec) {}

  line(output: string) {
    if (output.trim()) this.#lastLine = output
    if (this.spec.format === 'jsonl') {
      const event = parseObject(output)
      if (event && this.#matches(event)) this.#events.push(event)
      return
    }
    if (this.spec.format !== 'json') return
    this.#kept.push(output)
    this.#keptBytes += output.length + 1
    while (this.#keptBytes > MAX_KEPT_BYTES && this.#kept.length > 1) {
      this.#keptBytes -= this.#kept.shift()!.length + 1
    }
  }

  reading(): CliReading {
    switch (this.spec.format) {
      case 'last_json_line':
        return { failed: false, report: parseObject(this.#lastLine) ?? undefined }
      case 'json': {
        const document = lastJsonDocument(this.#kept)
        return document ? this.#read([document]) : { failed: false }
      }
      case 'jsonl':
        return this.#read(this.#events)
      default:
        return { failed: false }
    }
  }

  #matches(event: Record<string, unknown>) {
    return Object.entries(this.spec.events ?? {}).every(([field, value]) => event[field] === value)
  }

  #read(documents: unknown[]): CliReading {
    const spec = this.spec
    const costs: Costs = {}
    const usd = sum(documents, spec.costs?.usd)
    const input = sum(documents, spec.costs?.input_tokens)
    const output = sum(documents, spec.costs?.output_tokens)
    const model = text(documents, spec.costs?.model)
    if (input !== undefined) costs.input_tokens = Math.round(input)
    if (output !== undefined) costs.output_tokens = Math.round(output)
    if (usd !== undefined) costs.usd = usd
    else if (spec.usd_per_million_tokens && (input !== undefined || output !== undefined)) {
      const prices = spec.usd_per_million_tokens
      costs.usd = ((input ?? 0) * prices.input + (output ?? 0) * prices.output) / 1_000_000
    }
    if (model) costs.model = model.slice(0, 255)
    const summary = text(documents, spec.summary)
    const failed = documents.some((document) =>
      values(document, spec.failed_when).some((value) => Boolean(value))
    )
    const error = text(documents, spec.error)
    return {
      costs: Object.keys(costs).length > 0 ? costs : undefined,
      summary: summary ? summary.slice(0, MAX_SUMMARY_CHARS) : undefined,
      failed,
      error: error || undefined,
    }
  }
}

/**
 * Every value a path names. Segments are object keys or array indexes; `*` is every value of
 * an object or array; a last `$keys` is the keys of the object reached.
 */
export function values(document: unknown, path: OutputPath | undefined): unknown[] {
  if (path === undefined) return []
  const paths = Array.isArray(path) ? path : [path]
  return paths.flatMap((one) => walk([document], one.split('.')))
}

function walk(current: unknown[], segments: string[]): unknown[] {
  if (segments.length === 0) return current.filter((value) => value !== undefined && value !== null)
  const [segment, ...rest] = segments
  const next: unknown[] = []
  for (const value of current) {
    if (typeof value !== 'object' || value === null) continue
    if (segment === '$keys' && rest.length === 0) next.push(...Object.keys(value))
    else if (segment === '*') next.push(...Object.values(value))
    else next.push((value as Record<string, unknown>)[segment])
  }
  return walk(next, rest)
}

function sum(documents: unknown[], path: OutputPath | undefined) {
  const numbers = documents
    .flatMap((document) => values(document, path))
    .filter((value): value is number => typeof value === 'number' && Number.isFinite(value))
  return numbers.length > 0 ? numbers.reduce((total, n) => total + n, 0) : undefined
}

/** The strings a path names, in the last document that has any, joined. */
function text(documents: unknown[], path: OutputPath | undefined) {
  for (const document of [...documents].reverse()) {
    const strings = values(document, path).filter((value) => typeof value === 'string')
    if (strings.length > 0) return [...new Set(strings)].join(', ')
  }
  return undefined
}

function parseObject(line: string): Record<string, unknown> | null {
  const trimmed = line.trim()
  if (!trimmed.startsWith('{')) return null
  try {
    const parsed = JSON.parse(trimmed)
    return parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? parsed : null
  } catch {
    return null
  }
}

/**
 * The JSON object stdout ends with: one line (Claude Code) or several (Gemini CLI's
 * pretty-printed one), possibly after other output.
 */
function lastJsonDocument(lines: string[]): Record<string, unknown> | null {
  let end = lines.length
  while (end > 0 && !lines[end - 1].trim()) end--
  let tries = 0
  for (let start = end - 1; start >= 0 && tries < 50; start--) {
    // A top-level document starts in the first column; nested objects are indented.
    if (!lines[start].startsWith('{')) continue
    tries++
    const parsed = parseObject(lines.slice(start, end).join('\n'))
    if (parsed) return parsed
  }
  return null
}
