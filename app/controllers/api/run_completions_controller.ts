import type { HttpContext } from '@adonisjs/core/http'
import Run from '#models/run'
import agentApi from '#transformers/agent_api_serializer'
import RunTransformer from '#transformers/run_transformer'
import WorkItemTransformer from '#transformers/work_item_transformer'
import RunLifecycle from '#services/runs/run_lifecycle'
import { runCompletionValidator } from '#validators/run'

/** POST /api/v1/runs/:id/complete: the agent's final report (idempotent). */
export default class RunCompletionsController {
  async store({ params, request, auth }: HttpContext) {
    const agent = auth.use('api').getUserOrFail()
    const run = await Run.findForAgentOrFail(agent, params.id)
    const report = await request.validateUsing(runCompletionValidator)
    const settled = await RunLifecycle.complete(run, agent, {
      outcome: report.outcome,
      summary: report.summary,
      error: report.error,
      branchName: report.branch_name,
      prUrl: report.pr_url,
      prNumber: report.pr_number,
      headSha: report.head_sha,
      logsUrl: report.logs_url,
      artifactsUrl: report.artifacts_url,
      costs: report.costs,
      tests: report.tests,
    })
    return agentApi.serialize({
      run: RunTransformer.transform(settled.run),
      work_item: WorkItemTransformer.transform(settled.workItem).useVariant('state'),
    })
  }
}
