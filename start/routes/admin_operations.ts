import router from '@adonisjs/core/services/router'
import { middleware } from '#start/kernel'
import { controllers } from '#generated/controllers'
import { rowId } from '#start/routes/row_id'

/**
 * The day-to-day admin pages (spec §7): work items, agents, runs and the audit log. Every
 * route needs a signed-in user; what each role may do is checked by the policies.
 */
router
  .group(() => {
    router
      .resource('work-items', controllers.WorkItems)
      .only(['index', 'create', 'store', 'show'])
      .tap('create', (route) => route.setPattern('/work-items/new'))
      .where('id', rowId)
    router
      .group(() => {
        router.get('/evidence', [controllers.WorkItemEvidence, 'show']).as('evidence.show')
        router.post('/approval', [controllers.WorkItemApprovals, 'store']).as('approval.store')
        router.post('/answer', [controllers.WorkItemAnswers, 'store']).as('answer.store')
        router
          .post('/cancellation', [controllers.WorkItemCancellations, 'store'])
          .as('cancellation.store')
        router.post('/requeue', [controllers.WorkItemRequeues, 'store']).as('requeue.store')
        router.post('/block', [controllers.WorkItemBlocks, 'store']).as('block.store')
        router.delete('/block', [controllers.WorkItemBlocks, 'destroy']).as('block.destroy')
        router.put('/priority', [controllers.WorkItemPriorities, 'update']).as('priority.update')
        router.post('/pin', [controllers.WorkItemPins, 'store']).as('pin.store')
        router.delete('/pin', [controllers.WorkItemPins, 'destroy']).as('pin.destroy')
      })
      .prefix('/work-items/:id')
      .where('id', rowId)
      .as('work_items')

    router
      .resource('agents', controllers.Agents)
      .except(['destroy'])
      .tap('create', (route) => route.setPattern('/agents/new'))
      .where('id', rowId)
    router
      .group(() => {
        router.post('/enablement', [controllers.AgentEnablements, 'store']).as('enablement.store')
        router
          .delete('/enablement', [controllers.AgentEnablements, 'destroy'])
          .as('enablement.destroy')
        router.post('/tokens', [controllers.AgentTokens, 'store']).as('tokens.store')
        router
          .delete('/tokens/:tokenId', [controllers.AgentTokens, 'destroy'])
          .where('tokenId', rowId)
          .as('tokens.destroy')
      })
      .prefix('/agents/:id')
      .where('id', rowId)
      .as('agents')

    router.get('/inbox', [controllers.Inbox, 'index']).as('inbox.index')
    router.resource('runs', controllers.Runs).only(['index', 'show']).where('id', rowId)
    router
      .group(() => {
        router.get('/logs', [controllers.RunLogs, 'index']).as('logs.index')
        router.get('/logs/stream', [controllers.RunLogStreams, 'show']).as('logs.stream')
        router
          .post('/cancellation', [controllers.RunCancellations, 'store'])
          .as('cancellation.store')
        router.post('/review', [controllers.RunReviews, 'store']).as('review.store')
      })
      .prefix('/runs/:id')
      .where('id', rowId)
      .as('runs')

    // Over everything a list's filter selects; the list pages link here with their filter.
    router
      .resource('bulk-actions', controllers.BulkActions)
      .only(['create', 'store', 'show'])
      .tap('create', (route) => route.setPattern('/bulk-actions/new'))
      .where('id', rowId)

    router.get('/audit', [controllers.AuditEvents, 'index']).as('audit_events.index')
  })
  .use(middleware.auth())
