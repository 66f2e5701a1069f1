import { RUN_STATUSES } from '#models/run'
import { WORK_ITEM_STATUSES } from '#models/work_item'
import { MAX_LOG_LINES } from '#validators/run'
import { MAX_BATCH_ITEMS } from '#validators/project_work_item'

/**
 * The OpenAPI 3.1 document of `/api/v1` (the agent API and the project work-item API), served
 * at `/api/v1/openapi.json` and rendered at `/api/docs`. Every functional API test validates
 * the answers it gets against it (tests/support/openapi_contract.ts), so it cannot drift.
 */

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` })
const nullable = (schema: Record<string, unknown>) => ({ anyOf: [schema, { type: 'null' }] })
const dateTime = { type: 'string', format: 'date-time' }
const nullableDateTime = { type: ['string', 'null'], format: 'date-time' }
const json = (schema: unknown) => ({ 'application/json': { schema } })
const problemContent = { 'application/problem+json': { schema: ref('Problem') } }
const header = (name: string) => ({ $ref: `#/components/headers/${name}` })

const problem = (description: string, headers?: Record<string, unknown>) => ({
  description,
  content: problemContent,
  ...(headers ? { headers } : {}),
})

/** Answers every operation can give: a problem document, whatever the status. */
const errors = {
  '401': problem('No valid bearer token.', { 'WWW-Authenticate': header('WWWAuthenticate') }),
  '422': problem('Invalid fields (`errors` names them).'),
  '429': problem('Over a request quota or a limit.', {
    'Retry-After': header('RetryAfter'),
    'RateLimit': header('RateLimit'),
    'RateLimit-Policy': header('RateLimitPolicy'),
  }),
  '503': problem('The database is unreachable or agents are disabled; retry later.', {
    'Retry-After': header('RetryAfter'),
  }),
  'default': problem('Any other error, as an RFC 9457 problem document.'),
}

const idempotencyParam = { $ref: '#/components/parameters/IdempotencyKey' }
const runIdParam = { $ref: '#/components/parameters/RunId' }
const slugParam = { $ref: '#/components/parameters/ProjectSlug' }
const itemIdParam = { $ref: '#/components/parameters/WorkItemId' }
const runStateHeaders = { 'Gatehouse-Run-State': header('GatehouseRunState') }
const replayHeaders = { 'Idempotent-Replayed': header('IdempotentReplayed') }

/** Errors of a run's calls also carry the run's state. */
const runErrors = {
  ...errors,
  '404': problem("Not this agent's run."),
  '409': problem('The run is no longer running.', runStateHeaders),
  'default': problem('Any other error.', runStateHeaders),
}

const agentSecurity = [{ agentToken: [] }]
const projectSecurity = [{ projectApiKey: [] }]

const runSettled = {
  type: 'object',
  required: ['run', 'work_item'],
  properties: {
    run: ref('Run'),
    work_item: ref('WorkItemStatus'),
  },
}

const questionAsked = {
  type: 'object',
  required: ['run', 'work_item', 'question'],
  properties: {
    run: ref('Run'),
    work_item: ref('WorkItemStatus'),
    question: nullable({
      type: 'object',
      required: ['id', 'status', 'question', 'choices'],
      properties: {
        id: { type: 'integer' },
        status: { type: 'string' },
        question: { type: 'string' },
        choices: nullable({ type: 'array', items: { type: 'string' } }),
        context: {},
      },
    }),
  },
}

export const openApiDocument = {
  openapi: '3.1.0',
  jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
  info: {
    title: 'Gatehouse API',
    version: '1',
    description:
      'The agent API (claim, heartbeat, logs, complete, release; bearer agent tokens) and the ' +
      'work-item API of integrations (bearer project API keys). Errors are ' +
      "`application/problem+json` (RFC 9457). The protocol from an agent author's side: " +
      'docs/agent-protocol.md.',
  },
  servers: [{ url: '/' }],
  tags: [
    { name: 'agent', description: 'Agents: bearer agent token.' },
    { name: 'runs', description: "An agent's own runs. Answers carry `Gatehouse-Run-State`." },
    { name: 'work items', description: 'Integrations: bearer project API key, one project.' },
  ],
  paths: {
    '/api/v1/agent': {
      get: {
        tags: ['agent'],
        operationId: 'showAgent',
        summary: 'Who the token belongs to, its limits and what it runs',
        security: agentSecurity,
        responses: {
          '200': { description: 'The agent.', content: json(ref('AgentStatus')) },
          ...errors,
        },
      },
    },
    '/api/v1/agent/drain': {
      post: {
        tags: ['agent'],
        operationId: 'drainAgent',
        summary: 'Finish what runs, claim nothing new (claims answer 409 `draining`)',
        security: agentSecurity,
        responses: {
          '200': { description: 'The drain state.', content: json(ref('DrainState')) },
          ...errors,
        },
      },
      delete: {
        tags: ['agent'],
        operationId: 'endAgentDrain',
        summary: 'End the drain',
        security: agentSecurity,
        responses: {
          '200': { description: 'The drain state.', content: json(ref('DrainState')) },
          ...errors,
        },
      },
    },
    '/api/v1/claims': {
      post: {
        tags: ['agent'],
        operationId: 'claim',
        summary: 'Claim the next work item (optionally long-polling up to 30 s)',
        security: agentSecurity,
        parameters: [idempotencyParam],
        requestBody: { required: false, content: json(ref('ClaimRequest')) },
        responses: {
          '201': {
            description: 'A run was started for the agent.',
            headers: replayHeaders,
            content: json(ref('Claim')),
          },
          '204': { description: 'Nothing to claim (after `wait_seconds`, or at shutdown).' },
          '403': problem('The agent is disabled.'),
          '409': problem(
            'The agent is draining (`code: draining`), or the first request with this ' +
              'Idempotency-Key is still being answered.',
            { 'Retry-After': header('RetryAfter') }
          ),
          ...errors,
        },
      },
    },
    '/api/v1/runs/{id}': {
      get: {
        tags: ['runs'],
        operationId: 'showRun',
        summary: "The agent's own run, its gate verdicts and whether to stop",
        security: agentSecurity,
        parameters: [runIdParam],
        responses: {
          '200': { description: 'The run.', headers: runStateHeaders, content: json(ref('Run')) },
          ...runErrors,
        },
      },
    },
    '/api/v1/runs/{id}/heartbeat': {
      post: {
        tags: ['runs'],
        operationId: 'heartbeat',
        summary: 'Extend the lease; learn whether to stop',
        security: agentSecurity,
        parameters: [runIdParam],
        requestBody: {
          required: false,
          content: json({
            type: 'object',
            properties: { progress: { type: 'string', maxLength: 10_000 } },
          }),
        },
        responses: {
          '200': {
            description: 'The lease was extended.',
            headers: runStateHeaders,
            content: json(ref('Heartbeat')),
          },
          ...runErrors,
        },
      },
    },
    '/api/v1/runs/{id}/logs': {
      post: {
        tags: ['runs'],
        operationId: 'appendLogs',
        summary: 'Append a batch of log lines',
        description:
          'Without `first_seq` the server numbers the lines. With it the client numbers them: ' +
          'lines already stored are skipped (a batch sent twice is stored once; 200 when ' +
          'nothing was new) and a gap is 409 with `next_seq`.',
        security: agentSecurity,
        parameters: [runIdParam],
        requestBody: { required: true, content: json(ref('LogBatch')) },
        responses: {
          '200': {
            description: 'Every line was already stored.',
            headers: runStateHeaders,
            content: json(ref('LogsAccepted')),
          },
          '202': {
            description: 'The lines were stored.',
            headers: runStateHeaders,
            content: json(ref('LogsAccepted')),
          },
          '413': problem(`More than ${MAX_LOG_LINES} lines or 1 MiB in one request.`),
          ...runErrors,
        },
      },
    },
    '/api/v1/runs/{id}/complete': {
      post: {
        tags: ['runs'],
        operationId: 'completeRun',
        summary: 'Report the result (the same report again is answered the same)',
        security: agentSecurity,
        parameters: [runIdParam, idempotencyParam],
        requestBody: { required: true, content: json(ref('Completion')) },
        responses: {
          '200': {
            description: 'The run is finished.',
            headers: { ...runStateHeaders, ...replayHeaders },
            content: json(runSettled),
          },
          ...runErrors,
        },
      },
    },
    '/api/v1/runs/{id}/release': {
      post: {
        tags: ['runs'],
        operationId: 'releaseRun',
        summary: 'Give the item back unworked',
        security: agentSecurity,
        parameters: [runIdParam, idempotencyParam],
        requestBody: {
          required: false,
          content: json({
            type: 'object',
            properties: { reason: { type: 'string', maxLength: 10_000 } },
          }),
        },
        responses: {
          '200': {
            description: 'The run is released, the item pending again.',
            headers: { ...runStateHeaders, ...replayHeaders },
            content: json(runSettled),
          },
          ...runErrors,
        },
      },
    },
    '/api/v1/runs/{id}/questions': {
      post: {
        tags: ['runs'],
        operationId: 'askQuestion',
        summary:
          'Ask a person: the run ends needs_input and the item waits, blocked, for the answer',
        security: agentSecurity,
        parameters: [runIdParam, idempotencyParam],
        requestBody: {
          required: true,
          content: json({
            type: 'object',
            required: ['question'],
            properties: {
              question: { type: 'string' },
              choices: { type: 'array', items: { type: 'string' } },
              context: {},
            },
          }),
        },
        responses: {
          '201': {
            description: 'The question is open; the run ended needs_input.',
            headers: { ...runStateHeaders, ...replayHeaders },
            content: json(questionAsked),
          },
          '200': {
            description:
              'The same question again (answered as the first time), or a run stopped on request.',
            headers: { ...runStateHeaders, ...replayHeaders },
            content: json(questionAsked),
          },
          ...runErrors,
        },
      },
    },
    '/api/v1/projects/{slug}/work_items': {
      get: {
        tags: ['work items'],
        operationId: 'listWorkItems',
        summary: "List the project's items (keyset pages by id)",
        security: projectSecurity,
        parameters: [
          slugParam,
          { name: 'status', in: 'query', schema: { enum: [...WORK_ITEM_STATUSES] } },
          { name: 'work_type', in: 'query', schema: { type: 'string', maxLength: 64 } },
          { name: 'external_id', in: 'query', schema: { type: 'string', maxLength: 200 } },
          {
            name: 'after',
            in: 'query',
            description: 'The `next_cursor` of the previous page.',
            schema: { type: 'integer', minimum: 0 },
          },
          { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 200 } },
        ],
        responses: {
          '200': {
            description: 'A page.',
            content: json({
              type: 'object',
              required: ['data', 'next_cursor'],
              properties: {
                data: { type: 'array', items: ref('WorkItem') },
                next_cursor: { type: ['integer', 'null'] },
              },
            }),
          },
          ...errors,
        },
      },
      post: {
        tags: ['work items'],
        operationId: 'createWorkItems',
        summary: 'Create one item, or a batch; upsert by `external_id`',
        security: projectSecurity,
        parameters: [slugParam, idempotencyParam],
        requestBody: {
          required: true,
          content: json({
            oneOf: [
              ref('WorkItemInput'),
              {
                type: 'object',
                required: ['items'],
                properties: {
                  items: {
                    type: 'array',
                    items: ref('WorkItemInput'),
                    minItems: 1,
                    maxItems: MAX_BATCH_ITEMS,
                  },
                },
              },
            ],
          }),
        },
        responses: {
          '200': {
            description:
              'A batch (each item with its outcome), or one item whose `external_id` named an ' +
              'item already there (updated or unchanged).',
            headers: replayHeaders,
            content: json({
              oneOf: [
                ref('WorkItemUpsert'),
                {
                  type: 'object',
                  required: ['items'],
                  properties: { items: { type: 'array', items: ref('WorkItemUpsert') } },
                },
              ],
            }),
          },
          '201': {
            description: 'The item was created.',
            headers: replayHeaders,
            content: json(ref('WorkItemUpsert')),
          },
          '409': problem('The item named by `external_id` is held by a run.'),
          ...errors,
        },
      },
    },
    '/api/v1/projects/{slug}/work_items/{id}': {
      get: {
        tags: ['work items'],
        operationId: 'showWorkItem',
        security: projectSecurity,
        parameters: [slugParam, itemIdParam],
        responses: {
          '200': { description: 'The item.', content: json(ref('WorkItem')) },
          '404': problem("Not an item of the key's project."),
          ...errors,
        },
      },
      patch: {
        tags: ['work items'],
        operationId: 'updateWorkItem',
        summary: 'Edit title, payload, priority, work type, dependencies, approval',
        security: projectSecurity,
        parameters: [slugParam, itemIdParam],
        requestBody: { required: true, content: json(ref('WorkItemChanges')) },
        responses: {
          '200': {
            description: 'The fields changed and the item.',
            content: json({
              type: 'object',
              required: ['changed', 'work_item'],
              properties: {
                changed: { type: 'array', items: { type: 'string' } },
                work_item: ref('WorkItem'),
              },
            }),
          },
          '404': problem("Not an item of the key's project."),
          '409': problem('A run holds the item.'),
          ...errors,
        },
      },
    },
    '/api/v1/projects/{slug}/work_items/{id}/cancellation': {
      post: {
        tags: ['work items'],
        operationId: 'cancelWorkItem',
        security: projectSecurity,
        parameters: [slugParam, itemIdParam],
        responses: {
          '200': { description: "The item's new status.", content: json(ref('WorkItemStatus')) },
          '404': problem("Not an item of the key's project."),
          '409': problem('The item cannot be cancelled in its status.'),
          ...errors,
        },
      },
    },
    '/api/v1/projects/{slug}/work_items/{id}/requeue': {
      post: {
        tags: ['work items'],
        operationId: 'requeueWorkItem',
        security: projectSecurity,
        parameters: [slugParam, itemIdParam],
        responses: {
          '200': { description: "The item's new status.", content: json(ref('WorkItemStatus')) },
          '404': problem("Not an item of the key's project."),
          '409': problem('Only a failed or cancelled item is requeued.'),
          ...errors,
        },
      },
    },
  },
  components: {
    securitySchemes: {
      agentToken: {
        type: 'http',
        scheme: 'bearer',
        description: 'An agent token (admin: Agents → Tokens).',
      },
      projectApiKey: {
        type: 'http',
        scheme: 'bearer',
        description: 'A project API key (admin: Project → API keys).',
      },
    },
    parameters: {
      IdempotencyKey: {
        name: 'Idempotency-Key',
        in: 'header',
        required: false,
        description:
          'The same key from the same token within 24 h gets the first successful answer back ' +
          '(`Idempotent-Replayed: true`) without the work being done again; with another ' +
          'request it is 422, while the first is still answered 409.',
        schema: { type: 'string', pattern: '^[\\x21-\\x7E]{1,255}$' },
      },
      RunId: { name: 'id', in: 'path', required: true, schema: { type: 'integer', minimum: 1 } },
      WorkItemId: {
        name: 'id',
        in: 'path',
        required: true,
        schema: { type: 'integer', minimum: 1 },
      },
      ProjectSlug: {
        name: 'slug',
        in: 'path',
        required: true,
        description: "The slug of the key's project.",
        schema: { type: 'string' },
      },
    },
    headers: {
      GatehouseRunState: {
        description: "The run's state after the call, on every answer about a run.",
        schema: ref('RunState'),
      },
      IdempotentReplayed: {
        description: '`true` when the answer is a stored one (Idempotency-Key).',
        schema: { const: 'true' },
      },
      RetryAfter: { description: 'Seconds to wait before retrying.', schema: { type: 'string' } },
      RateLimit: {
        description: '`limit=N, remaining=N, reset=S` (IETF RateLimit fields).',
        schema: { type: 'string' },
      },
      RateLimitPolicy: { description: '`N;w=S`.', schema: { type: 'string' } },
      WWWAuthenticate: { schema: { type: 'string' } },
    },
    schemas: {
      Problem: {
        type: 'object',
        description:
          'RFC 9457 problem details; extensions such as `code` or `next_seq` may follow.',
        required: ['type', 'title', 'status'],
        properties: {
          type: { type: 'string' },
          title: { type: 'string' },
          status: { type: 'integer', minimum: 400, maximum: 599 },
          detail: { type: 'string' },
          code: { type: 'string' },
          next_seq: { type: 'integer' },
          errors: {
            type: 'array',
            items: {
              type: 'object',
              required: ['field', 'message', 'rule'],
              properties: {
                field: { type: 'string' },
                message: { type: 'string' },
                rule: { type: 'string' },
              },
            },
          },
        },
      },
      RunState: { enum: ['running', 'cancel_requested', 'finished'] },
      AgentStatus: {
        type: 'object',
        required: ['agent', 'limits', 'running_runs'],
        properties: {
          agent: {
            type: 'object',
            required: ['id', 'key', 'name', 'capabilities', 'enabled', 'draining'],
            properties: {
              id: { type: 'integer' },
              key: { type: 'string' },
              name: { type: 'string' },
              description: { type: ['string', 'null'] },
              capabilities: {},
              model_name: { type: ['string', 'null'] },
              model_version: { type: ['string', 'null'] },
              github_login: { type: ['string', 'null'] },
              enabled: { type: 'boolean' },
              draining: { type: 'boolean' },
              draining_since: nullableDateTime,
              last_seen_at: nullableDateTime,
            },
          },
          limits: {
            type: 'object',
            required: ['max_concurrency', 'running', 'available'],
            properties: {
              max_concurrency: { type: 'integer', minimum: 1 },
              running: { type: 'integer', minimum: 0 },
              available: { type: 'integer', minimum: 0 },
            },
          },
          running_runs: {
            type: 'array',
            items: {
              type: 'object',
              required: ['id', 'attempt', 'started_at', 'lease_expires_at', 'cancel_requested'],
              properties: {
                id: { type: 'integer' },
                attempt: { type: 'integer' },
                started_at: dateTime,
                heartbeat_at: nullableDateTime,
                lease_expires_at: dateTime,
                cancel_requested: { type: 'boolean' },
                work_item: {
                  type: 'object',
                  required: ['id', 'work_type', 'title'],
                  properties: {
                    id: { type: 'integer' },
                    work_type: { type: 'string' },
                    title: { type: 'string' },
                  },
                },
              },
            },
          },
        },
      },
      DrainState: {
        type: 'object',
        required: ['agent', 'draining', 'draining_since'],
        properties: {
          agent: { type: 'string', description: "The agent's key." },
          draining: { type: 'boolean' },
          draining_since: nullableDateTime,
        },
      },
      ClaimRequest: {
        type: 'object',
        properties: {
          work_types: {
            type: 'array',
            minItems: 1,
            items: { type: 'string', minLength: 1, maxLength: 64 },
          },
          project: { type: 'string', description: "Only this project's items (its slug)." },
          wait_seconds: {
            type: 'integer',
            minimum: 0,
            maximum: 30,
            description: 'Long-poll: wait up to this long for work before answering 204.',
          },
        },
      },
      Claim: {
        type: 'object',
        required: ['run', 'work_item'],
        properties: {
          run: {
            type: 'object',
            required: ['id', 'attempt', 'lease_expires_at', 'heartbeat_interval_seconds'],
            properties: {
              id: { type: 'integer' },
              attempt: { type: 'integer', minimum: 1 },
              lease_expires_at: dateTime,
              heartbeat_interval_seconds: { type: 'integer', minimum: 1 },
            },
          },
          work_item: {
            type: 'object',
            required: ['id', 'project', 'work_type', 'title', 'payload', 'priority'],
            properties: {
              id: { type: 'integer' },
              project: {
                type: 'object',
                required: ['slug', 'repo_full_name', 'repo_default_branch'],
                properties: {
                  slug: { type: 'string' },
                  repo_full_name: { type: ['string', 'null'] },
                  repo_default_branch: { type: ['string', 'null'] },
                },
              },
              work_type: { type: 'string' },
              title: { type: 'string' },
              payload: {},
              priority: { type: 'integer' },
            },
          },
        },
      },
      Heartbeat: {
        type: 'object',
        required: ['lease_expires_at', 'cancel_requested', 'run_state'],
        properties: {
          lease_expires_at: dateTime,
          cancel_requested: { type: 'boolean' },
          run_state: ref('RunState'),
        },
      },
      LogBatch: {
        type: 'object',
        required: ['lines'],
        properties: {
          first_seq: {
            type: 'integer',
            minimum: 1,
            description: 'The seq of the first line: the client numbers its lines.',
          },
          lines: {
            type: 'array',
            maxItems: MAX_LOG_LINES,
            items: {
              type: 'object',
              required: ['level', 'message'],
              properties: {
                level: { enum: ['debug', 'info', 'warn', 'error'] },
                message: { type: 'string' },
                stream: { enum: ['stdout', 'stderr', null] },
                data: { type: ['object', 'null'] },
                logged_at: dateTime,
              },
            },
          },
        },
      },
      LogsAccepted: {
        type: 'object',
        required: ['accepted', 'last_seq', 'run_state'],
        properties: {
          accepted: { type: 'integer', minimum: 0 },
          last_seq: { type: 'integer', minimum: 0 },
          run_state: ref('RunState'),
        },
      },
      Completion: {
        type: 'object',
        required: ['outcome'],
        properties: {
          outcome: { enum: ['succeeded', 'failed'] },
          summary: { type: ['string', 'null'], maxLength: 100_000 },
          error: { type: ['string', 'null'], maxLength: 100_000 },
          branch_name: { type: ['string', 'null'], maxLength: 255 },
          pr_url: { type: ['string', 'null'], format: 'uri' },
          pr_number: { type: ['integer', 'null'], minimum: 1 },
          head_sha: { type: ['string', 'null'], pattern: '^[0-9a-fA-F]{7,64}$' },
          logs_url: { type: ['string', 'null'], format: 'uri' },
          artifacts_url: { type: ['string', 'null'], format: 'uri' },
          costs: nullable(ref('Costs')),
          tests: nullable(ref('Tests')),
        },
      },
      Costs: {
        type: 'object',
        properties: {
          input_tokens: { type: 'integer', minimum: 0 },
          output_tokens: { type: 'integer', minimum: 0 },
          usd: { type: 'number', minimum: 0 },
          model: { type: 'string' },
        },
      },
      Tests: {
        type: 'object',
        required: ['passed', 'failed'],
        properties: {
          passed: { type: 'integer', minimum: 0 },
          failed: { type: 'integer', minimum: 0 },
          skipped: { type: 'integer', minimum: 0 },
        },
      },
      Run: {
        type: 'object',
        required: [
          'id',
          'work_item_id',
          'attempt',
          'status',
          'started_at',
          'lease_expires_at',
          'cancel_requested',
          'run_state',
          'gate_status',
          'gate_results',
          'last_log_seq',
        ],
        properties: {
          id: { type: 'integer' },
          work_item_id: { type: 'integer' },
          attempt: { type: 'integer', minimum: 1 },
          status: { enum: [...RUN_STATUSES] },
          started_at: dateTime,
          heartbeat_at: nullableDateTime,
          lease_expires_at: dateTime,
          finished_at: nullableDateTime,
          cancel_requested: { type: 'boolean' },
          run_state: ref('RunState'),
          cancel_requested_at: nullableDateTime,
          progress: { type: ['string', 'null'] },
          summary: { type: ['string', 'null'] },
          error: { type: ['string', 'null'] },
          branch_name: { type: ['string', 'null'] },
          pr_url: { type: ['string', 'null'] },
          pr_number: { type: ['integer', 'null'] },
          head_sha: { type: ['string', 'null'] },
          logs_url: { type: ['string', 'null'] },
          artifacts_url: { type: ['string', 'null'] },
          costs: nullable(ref('Costs')),
          cost_usd: { type: 'number', minimum: 0 },
          tests: nullable(ref('Tests')),
          gate_status: { enum: ['pending', 'passed', 'failed', null] },
          gate_results: {
            type: 'array',
            items: {
              type: 'object',
              required: ['gate', 'verdict'],
              properties: {
                gate: { type: 'string' },
                verdict: { enum: ['pending', 'passed', 'failed'] },
                reason: { type: 'string' },
                at: { type: 'string' },
              },
            },
          },
          review_status: { enum: ['approved', 'rejected', null] },
          last_log_seq: { type: 'integer', minimum: 0 },
        },
      },
      WorkItemStatus: {
        type: 'object',
        required: ['id', 'status'],
        properties: { id: { type: 'integer' }, status: { enum: [...WORK_ITEM_STATUSES] } },
      },
      WorkItem: {
        type: 'object',
        required: [
          'id',
          'external_id',
          'source',
          'work_type',
          'title',
          'payload',
          'priority',
          'status',
          'attempts',
          'depends_on',
          'approved',
          'run_after',
          'created_at',
        ],
        properties: {
          id: { type: 'integer' },
          external_id: { type: ['string', 'null'] },
          external_ref: { type: ['string', 'null'] },
          source: { enum: ['manual', 'api', 'github'] },
          work_type: { type: 'string' },
          title: { type: 'string' },
          payload: {},
          priority: { type: 'integer' },
          status: { enum: [...WORK_ITEM_STATUSES] },
          attempts: { type: 'integer', minimum: 0 },
          max_attempts: { type: ['integer', 'null'] },
          depends_on: { type: 'array', items: { type: 'integer' } },
          approved: { type: 'boolean' },
          run_after: dateTime,
          created_at: dateTime,
          updated_at: nullableDateTime,
          completed_at: nullableDateTime,
        },
      },
      WorkItemUpsert: {
        type: 'object',
        required: ['outcome', 'work_item'],
        properties: {
          outcome: { enum: ['created', 'updated', 'unchanged', 'conflict'] },
          work_item: ref('WorkItem'),
        },
      },
      WorkItemInput: {
        type: 'object',
        required: ['title'],
        properties: {
          external_id: { type: 'string', minLength: 1, maxLength: 200 },
          title: { type: 'string', minLength: 1, maxLength: 500 },
          work_type: { type: 'string', maxLength: 64, pattern: '^[a-z0-9]+([-_][a-z0-9]+)*$' },
          payload: { type: 'object' },
          priority: { type: 'integer', minimum: -1_000_000, maximum: 1_000_000 },
          max_attempts: { type: ['integer', 'null'], minimum: 1, maximum: 100 },
          depends_on: { type: 'array', items: { type: 'integer', minimum: 1 }, maxItems: 100 },
          approved: { type: 'boolean' },
        },
      },
      WorkItemChanges: {
        type: 'object',
        properties: {
          title: { type: 'string', minLength: 1, maxLength: 500 },
          work_type: { type: 'string', maxLength: 64 },
          payload: { type: 'object' },
          priority: { type: 'integer', minimum: -1_000_000, maximum: 1_000_000 },
          depends_on: { type: 'array', items: { type: 'integer', minimum: 1 }, maxItems: 100 },
          approved: { type: 'boolean' },
        },
      },
    },
  },
} as const
