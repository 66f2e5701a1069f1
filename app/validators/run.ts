import vine from '@vinejs/vine'
import { MAX_INTEGER } from '#database/column_limits'

/** The most log lines one request may carry (spec §5); more is 413, not 422. */
export const MAX_LOG_LINES = 1000
/** The most bytes of log lines (their JSON) one request may carry (spec §5). */
export const MAX_LOG_BYTES = 1024 * 1024

const nonNegativeInteger = () => vine.number().withoutDecimals().min(0)
const url = () => vine.string().trim().maxLength(2048).url()

/** POST /api/v1/runs/:id/heartbeat */
export const heartbeatValidator = vine.create({
  progress: vine.string().trim().maxLength(10_000).optional(),
})

/** POST /api/v1/runs/:id/logs (size limits are checked before, as 413). */
export const runLogsValidator = vine.create({
  first_seq: vine.number().withoutDecimals().range([1, MAX_INTEGER]).optional(),
  lines: vine.array(
    vine.object({
      level: vine.enum(['debug', 'info', 'warn', 'error'] as const),
      message: vine.string(),
      stream: vine
        .enum(['stdout', 'stderr'] as const)
        .nullable()
        .optional(),
      data: vine.record(vine.any()).nullable().optional(),
      logged_at: vine.date({ formats: ['iso8601'] }).optional(),
    })
  ),
})

/** POST /api/v1/runs/:id/complete */
export const runCompletionValidator = vine.create({
  outcome: vine.enum(['succeeded', 'failed'] as const),
  summary: vine.string().maxLength(100_000).nullable().optional(),
  error: vine.string().maxLength(100_000).nullable().optional(),
  branch_name: vine.string().trim().maxLength(255).nullable().optional(),
  pr_url: url().nullable().optional(),
  pr_number: vine.number().withoutDecimals().range([1, MAX_INTEGER]).nullable().optional(),
  head_sha: vine
    .string()
    .trim()
    .regex(/^[0-9a-f]{7,64}$/i)
    .nullable()
    .optional(),
  logs_url: url().nullable().optional(),
  artifacts_url: url().nullable().optional(),
  costs: vine
    .object({
      input_tokens: nonNegativeInteger().optional(),
      output_tokens: nonNegativeInteger().optional(),
      usd: vine.number().min(0).max(99_999_999).optional(),
      model: vine.string().trim().maxLength(255).optional(),
    })
    .nullable()
    .optional(),
  tests: vine
    .object({
      passed: nonNegativeInteger(),
      failed: nonNegativeInteger(),
      skipped: nonNegativeInteger().optional(),
    })
    .nullable()
    .optional(),
})

/** POST /api/v1/runs/:id/release */
export const runReleaseValidator = vine.create({
  reason: vine.string().trim().maxLength(10_000).optional(),
})

/** POST /api/v1/runs/:id/questions: the agent asks a person. */
export const runQuestionValidator = vine.create({
  question: vine.string().trim().minLength(1).maxLength(10_000),
  choices: vine
    .array(vine.string().trim().minLength(1).maxLength(500))
    .maxLength(20)
    .distinct()
    .nullable()
    .optional(),
  context: vine.record(vine.any()).nullable().optional(),
})

/** POST /work-items/:id/answer: a person answers the item's open question. */
export const questionAnswerValidator = vine.create({
  answer: vine.string().trim().minLength(1).maxLength(10_000),
})

/** POST /runs/:id/review: a reviewer's decision for the human_review gate. */
export const runReviewValidator = vine.create({
  decision: vine.enum(['approved', 'rejected'] as const),
  note: vine.string().trim().maxLength(10_000).optional(),
})

/** GET /runs: the filters of the list. */
export const runFiltersValidator = vine.create({
  project: vine.number().withoutDecimals().min(1).max(MAX_INTEGER).optional(),
  agent: vine.number().withoutDecimals().min(1).max(MAX_INTEGER).optional(),
  status: vine
    .enum([
      'running',
      'succeeded',
      'failed',
      'timed_out',
      'cancelled',
      'released',
      'needs_input',
    ] as const)
    .optional(),
  before: vine.number().withoutDecimals().min(1).max(MAX_INTEGER).optional(),
  after: vine.number().withoutDecimals().min(0).max(MAX_INTEGER).optional(),
})

/** GET /runs/:id/logs: a page of a run's log, continued after a seq. */
export const runLogPageValidator = vine.create({
  after: vine.number().withoutDecimals().min(0).max(MAX_INTEGER).optional(),
  before: vine.number().withoutDecimals().min(1).max(MAX_INTEGER).optional(),
})
