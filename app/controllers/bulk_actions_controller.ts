import type { HttpContext } from '@adonisjs/core/http'
import type { errors as vineErrors } from '@vinejs/vine'
import BulkAction, { type BulkActionKind, type Selection } from '#models/bulk_action'
import SelectionChanged from '#exceptions/selection_changed'
import BulkActionPolicy from '#policies/bulk_action_policy'
import { workItemFiltersValidator } from '#validators/work_item'
import { runFiltersValidator } from '#validators/run'
import { filledParams } from '#validators/list_filters'
import {
  bulkActionDecisionValidator,
  bulkActionKindValidator,
  bulkReprioritiseDecisionValidator,
  confirmedSelectionValidator,
} from '#validators/bulk_action'

type Confirmation = {
  kind: BulkActionKind
  filter: Record<string, unknown>
  selection: Selection
  errors?: Record<string, string[]>
  input?: { reason?: unknown; priority?: unknown }
  conflict?: string
}

/**
 * Bulk actions over a list's filter: the confirmation page (the exact count and the filter in
 * words), the submit that records the action and queues its job, and its progress page.
 */
export default class BulkActionsController {
  async create({ request, view, bouncer }: HttpContext) {
    const { kind, filter } = await this.#scope(request)
    await bouncer.with(BulkActionPolicy).authorize('perform', kind)
    const selection = await BulkAction.selectionOf(kind, filter)
    return this.#confirmation(view, { kind, filter, selection })
  }

  async store({ request, response, view, bouncer, auth, session }: HttpContext) {
    const { kind, filter } = await this.#scope(request)
    await bouncer.with(BulkActionPolicy).authorize('perform', kind)
    const confirmed = await request.validateUsing(confirmedSelectionValidator)
    const input = request.only(['reason', 'priority'])
    const decisionValidator =
      kind === 'work_items.reprioritise'
        ? bulkReprioritiseDecisionValidator
        : bulkActionDecisionValidator
    const [invalid, valid] = await decisionValidator.tryValidate(request.all())
    if (invalid) {
      const errors = byField(invalid)
      const page = await this.#confirmation(view, {
        kind,
        filter,
        selection: confirmed,
        errors,
        input,
      })
      return response.status(422).send(page)
    }
    const decision: { reason: string; priority?: number } = valid
    try {
      const action = await BulkAction.start(
        auth.use('web').getUserOrFail(),
        {
          kind,
          filter,
          parameters: decision.priority === undefined ? {} : { priority: decision.priority },
          reason: decision.reason,
          confirmed,
        },
        request.ip()
      )
      session.flash(
        'success',
        `Bulk action #${action.id} queued for ${action.totalCount} ${BulkAction.targetOf(kind).replace('_', ' ')}.`
      )
      return response.redirect().toRoute('bulk_actions.show', { id: action.id })
    } catch (error) {
      if (!(error instanceof SelectionChanged)) throw error
      const page = await this.#confirmation(view, {
        kind,
        filter,
        selection: error.current,
        input,
        conflict: error.message,
      })
      return response.status(409).send(page)
    }
  }

  async show({ params, view }: HttpContext) {
    const action = await BulkAction.query().where('id', params.id).preload('user').firstOrFail()
    return view.render('pages/bulk_actions/show', {
      section: BulkAction.targetOf(action.kind) === 'runs' ? 'runs' : 'work-items',
      action,
      verb: BulkAction.verbOf(action.kind),
      scope: await BulkAction.describe(action.kind, action.filter),
    })
  }

  /** The action and the list filter it applies to (the list's own validator). */
  async #scope(request: HttpContext['request']) {
    const params = filledParams(request.all())
    const { kind } = await bulkActionKindValidator.validate(params)
    const validator =
      BulkAction.targetOf(kind) === 'runs' ? runFiltersValidator : workItemFiltersValidator
    // The list's page cursor is not part of the selection.
    const filter: Record<string, unknown> = await validator.validate(params)
    delete filter.before
    delete filter.after
    return { kind, filter }
  }

  async #confirmation(view: HttpContext['view'], page: Confirmation) {
    const target = BulkAction.targetOf(page.kind)
    return view.render('pages/bulk_actions/create', {
      section: target === 'runs' ? 'runs' : 'work-items',
      ...page,
      target,
      verb: BulkAction.verbOf(page.kind),
      scope: await BulkAction.describe(page.kind, page.filter),
      errors: page.errors ?? {},
      input: page.input ?? {},
      backUrl: { route: target === 'runs' ? 'runs.index' : 'work_items.index', qs: page.filter },
    })
  }
}

function byField(error: InstanceType<typeof vineErrors.E_VALIDATION_ERROR>) {
  const fields: Record<string, string[]> = {}
  for (const message of error.messages as { field: string; message: string }[]) {
    ;(fields[message.field] ??= []).push(message.message)
  }
  return fields
}
