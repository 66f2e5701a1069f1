import '@adonisjs/core/types/http'

type ParamValue = string | number | bigint | boolean

export type ScannedRoutes = {
  ALL: {
    'health.live': { paramsTuple?: []; params?: {} }
    'metrics': { paramsTuple?: []; params?: {} }
    'health.ready': { paramsTuple?: []; params?: {} }
    'api.openapi': { paramsTuple?: []; params?: {} }
    'api.docs': { paramsTuple?: []; params?: {} }
    'api.docs.renderer': { paramsTuple?: []; params?: {} }
    'api.agent.show': { paramsTuple?: []; params?: {} }
    'api.agent.drain.store': { paramsTuple?: []; params?: {} }
    'api.agent.drain.destroy': { paramsTuple?: []; params?: {} }
    'api.claims.store': { paramsTuple?: []; params?: {} }
    'api.runs.show': { paramsTuple: [ParamValue]; params: {'id': ParamValue} }
    'api.runs.heartbeat': { paramsTuple: [ParamValue]; params: {'id': ParamValue} }
    'api.runs.logs': { paramsTuple: [ParamValue]; params: {'id': ParamValue} }
    'api.runs.complete': { paramsTuple: [ParamValue]; params: {'id': ParamValue} }
    'api.runs.release': { paramsTuple: [ParamValue]; params: {'id': ParamValue} }
    'api.runs.questions': { paramsTuple: [ParamValue]; params: {'id': ParamValue} }
    'api.projects.work_items.index': { paramsTuple: [ParamValue]; params: {'slug': ParamValue} }
    'api.projects.work_items.store': { paramsTuple: [ParamValue]; params: {'slug': ParamValue} }
    'api.projects.work_items.show': { paramsTuple: [ParamValue,ParamValue]; params: {'slug': ParamValue,'id': ParamValue} }
    'api.projects.work_items.update': { paramsTuple: [ParamValue,ParamValue]; params: {'slug': ParamValue,'id': ParamValue} }
    'api.projects.work_items.cancellation': { paramsTuple: [ParamValue,ParamValue]; params: {'slug': ParamValue,'id': ParamValue} }
    'api.projects.work_items.requeue': { paramsTuple: [ParamValue,ParamValue]; params: {'slug': ParamValue,'id': ParamValue} }
    'webhooks.github': { paramsTuple?: []; params?: {} }
    'session.create': { paramsTuple?: []; params?: {} }
    'session.store': { paramsTuple?: []; params?: {} }
    'session.destroy': { paramsTuple?: []; params?: {} }
    'account.password.edit': { paramsTuple?: []; params?: {} }
    'account.password.update': { paramsTuple?: []; params?: {} }
    'users.sessions.index': { paramsTuple: [ParamValue]; params: {'id': ParamValue} }
    'users.sessions.destroy': { paramsTuple: [ParamValue,ParamValue]; params: {'id': ParamValue,'sessionId': ParamValue} }
    'dashboard': { paramsTuple?: []; params?: {} }
    'webhook_deliveries.index': { paramsTuple?: []; params?: {} }
    'projects.index': { paramsTuple?: []; params?: {} }
    'projects.create': { paramsTuple?: []; params?: {} }
    'projects.store': { paramsTuple?: []; params?: {} }
    'projects.show': { paramsTuple: [ParamValue]; params: {'id': ParamValue} }
    'projects.edit': { paramsTuple: [ParamValue]; params: {'id': ParamValue} }
    'projects.update': { paramsTuple: [ParamValue]; params: {'id': ParamValue} }
    'projects.state.update': { paramsTuple: [ParamValue]; params: {'id': ParamValue} }
    'projects.integrations.create': { paramsTuple: [ParamValue]; params: {'projectId': ParamValue} }
    'projects.integrations.store': { paramsTuple: [ParamValue]; params: {'projectId': ParamValue} }
    'projects.integrations.show': { paramsTuple: [ParamValue,ParamValue]; params: {'projectId': ParamValue,'id': ParamValue} }
    'projects.integrations.edit': { paramsTuple: [ParamValue,ParamValue]; params: {'projectId': ParamValue,'id': ParamValue} }
    'projects.integrations.update': { paramsTuple: [ParamValue,ParamValue]; params: {'projectId': ParamValue,'id': ParamValue} }
    'projects.integrations.deactivation.store': { paramsTuple: [ParamValue,ParamValue]; params: {'projectId': ParamValue,'id': ParamValue} }
    'projects.integrations.deactivation.destroy': { paramsTuple: [ParamValue,ParamValue]; params: {'projectId': ParamValue,'id': ParamValue} }
    'projects.integrations.deliveries.redelivery.store': { paramsTuple: [ParamValue,ParamValue,ParamValue]; params: {'projectId': ParamValue,'integrationId': ParamValue,'id': ParamValue} }
    'projects.api_keys.store': { paramsTuple: [ParamValue]; params: {'projectId': ParamValue} }
    'projects.api_keys.destroy': { paramsTuple: [ParamValue,ParamValue]; params: {'projectId': ParamValue,'id': ParamValue} }
    'settings.edit': { paramsTuple?: []; params?: {} }
    'settings.update': { paramsTuple?: []; params?: {} }
    'users.index': { paramsTuple?: []; params?: {} }
    'users.create': { paramsTuple?: []; params?: {} }
    'users.store': { paramsTuple?: []; params?: {} }
    'users.edit': { paramsTuple: [ParamValue]; params: {'id': ParamValue} }
    'users.update': { paramsTuple: [ParamValue]; params: {'id': ParamValue} }
    'users.deactivation.store': { paramsTuple: [ParamValue]; params: {'id': ParamValue} }
    'users.deactivation.destroy': { paramsTuple: [ParamValue]; params: {'id': ParamValue} }
    'work_items.index': { paramsTuple?: []; params?: {} }
    'work_items.create': { paramsTuple?: []; params?: {} }
    'work_items.store': { paramsTuple?: []; params?: {} }
    'work_items.show': { paramsTuple: [ParamValue]; params: {'id': ParamValue} }
    'work_items.evidence.show': { paramsTuple: [ParamValue]; params: {'id': ParamValue} }
    'work_items.approval.store': { paramsTuple: [ParamValue]; params: {'id': ParamValue} }
    'work_items.answer.store': { paramsTuple: [ParamValue]; params: {'id': ParamValue} }
    'work_items.cancellation.store': { paramsTuple: [ParamValue]; params: {'id': ParamValue} }
    'work_items.requeue.store': { paramsTuple: [ParamValue]; params: {'id': ParamValue} }
    'work_items.block.store': { paramsTuple: [ParamValue]; params: {'id': ParamValue} }
    'work_items.block.destroy': { paramsTuple: [ParamValue]; params: {'id': ParamValue} }
    'work_items.priority.update': { paramsTuple: [ParamValue]; params: {'id': ParamValue} }
    'work_items.pin.store': { paramsTuple: [ParamValue]; params: {'id': ParamValue} }
    'work_items.pin.destroy': { paramsTuple: [ParamValue]; params: {'id': ParamValue} }
    'agents.index': { paramsTuple?: []; params?: {} }
    'agents.create': { paramsTuple?: []; params?: {} }
    'agents.store': { paramsTuple?: []; params?: {} }
    'agents.show': { paramsTuple: [ParamValue]; params: {'id': ParamValue} }
    'agents.edit': { paramsTuple: [ParamValue]; params: {'id': ParamValue} }
    'agents.update': { paramsTuple: [ParamValue]; params: {'id': ParamValue} }
    'agents.enablement.store': { paramsTuple: [ParamValue]; params: {'id': ParamValue} }
    'agents.enablement.destroy': { paramsTuple: [ParamValue]; params: {'id': ParamValue} }
    'agents.tokens.store': { paramsTuple: [ParamValue]; params: {'id': ParamValue} }
    'agents.tokens.destroy': { paramsTuple: [ParamValue,ParamValue]; params: {'id': ParamValue,'tokenId': ParamValue} }
    'inbox.index': { paramsTuple?: []; params?: {} }
    'runs.index': { paramsTuple?: []; params?: {} }
    'runs.show': { paramsTuple: [ParamValue]; params: {'id': ParamValue} }
    'runs.logs.index': { paramsTuple: [ParamValue]; params: {'id': ParamValue} }
    'runs.logs.stream': { paramsTuple: [ParamValue]; params: {'id': ParamValue} }
    'runs.cancellation.store': { paramsTuple: [ParamValue]; params: {'id': ParamValue} }
    'runs.review.store': { paramsTuple: [ParamValue]; params: {'id': ParamValue} }
    'bulk_actions.create': { paramsTuple?: []; params?: {} }
    'bulk_actions.store': { paramsTuple?: []; params?: {} }
    'bulk_actions.show': { paramsTuple: [ParamValue]; params: {'id': ParamValue} }
    'audit_events.index': { paramsTuple?: []; params?: {} }
  }
  GET: {
    'health.live': { paramsTuple?: []; params?: {} }
    'metrics': { paramsTuple?: []; params?: {} }
    'health.ready': { paramsTuple?: []; params?: {} }
    'api.openapi': { paramsTuple?: []; params?: {} }
    'api.docs': { paramsTuple?: []; params?: {} }
    'api.docs.renderer': { paramsTuple?: []; params?: {} }
    'api.agent.show': { paramsTuple?: []; params?: {} }
    'api.runs.show': { paramsTuple: [ParamValue]; params: {'id': ParamValue} }
    'api.projects.work_items.index': { paramsTuple: [ParamValue]; params: {'slug': ParamValue} }
    'api.projects.work_items.show': { paramsTuple: [ParamValue,ParamValue]; params: {'slug': ParamValue,'id': ParamValue} }
    'session.create': { paramsTuple?: []; params?: {} }
    'account.password.edit': { paramsTuple?: []; params?: {} }
    'users.sessions.index': { paramsTuple: [ParamValue]; params: {'id': ParamValue} }
    'dashboard': { paramsTuple?: []; params?: {} }
    'webhook_deliveries.index': { paramsTuple?: []; params?: {} }
    'projects.index': { paramsTuple?: []; params?: {} }
    'projects.create': { paramsTuple?: []; params?: {} }
    'projects.show': { paramsTuple: [ParamValue]; params: {'id': ParamValue} }
    'projects.edit': { paramsTuple: [ParamValue]; params: {'id': ParamValue} }
    'projects.integrations.create': { paramsTuple: [ParamValue]; params: {'projectId': ParamValue} }
    'projects.integrations.show': { paramsTuple: [ParamValue,ParamValue]; params: {'projectId': ParamValue,'id': ParamValue} }
    'projects.integrations.edit': { paramsTuple: [ParamValue,ParamValue]; params: {'projectId': ParamValue,'id': ParamValue} }
    'settings.edit': { paramsTuple?: []; params?: {} }
    'users.index': { paramsTuple?: []; params?: {} }
    'users.create': { paramsTuple?: []; params?: {} }
    'users.edit': { paramsTuple: [ParamValue]; params: {'id': ParamValue} }
    'work_items.index': { paramsTuple?: []; params?: {} }
    'work_items.create': { paramsTuple?: []; params?: {} }
    'work_items.show': { paramsTuple: [ParamValue]; params: {'id': ParamValue} }
    'work_items.evidence.show': { paramsTuple: [ParamValue]; params: {'id': ParamValue} }
    'agents.index': { paramsTuple?: []; params?: {} }
    'agents.create': { paramsTuple?: []; params?: {} }
    'agents.show': { paramsTuple: [ParamValue]; params: {'id': ParamValue} }
    'agents.edit': { paramsTuple: [ParamValue]; params: {'id': ParamValue} }
    'inbox.index': { paramsTuple?: []; params?: {} }
    'runs.index': { paramsTuple?: []; params?: {} }
    'runs.show': { paramsTuple: [ParamValue]; params: {'id': ParamValue} }
    'runs.logs.index': { paramsTuple: [ParamValue]; params: {'id': ParamValue} }
    'runs.logs.stream': { paramsTuple: [ParamValue]; params: {'id': ParamValue} }
    'bulk_actions.create': { paramsTuple?: []; params?: {} }
    'bulk_actions.show': { paramsTuple: [ParamValue]; params: {'id': ParamValue} }
    'audit_events.index': { paramsTuple?: []; params?: {} }
  }
  HEAD: {
    'health.live': { paramsTuple?: []; params?: {} }
    'metrics': { paramsTuple?: []; params?: {} }
    'health.ready': { paramsTuple?: []; params?: {} }
    'api.openapi': { paramsTuple?: []; params?: {} }
    'api.docs': { paramsTuple?: []; params?: {} }
    'api.docs.renderer': { paramsTuple?: []; params?: {} }
    'api.agent.show': { paramsTuple?: []; params?: {} }
    'api.runs.show': { paramsTuple: [ParamValue]; params: {'id': ParamValue} }
    'api.projects.work_items.index': { paramsTuple: [ParamValue]; params: {'slug': ParamValue} }
    'api.projects.work_items.show': { paramsTuple: [ParamValue,ParamValue]; params: {'slug': ParamValue,'id': ParamValue} }
    'session.create': { paramsTuple?: []; params?: {} }
    'account.password.edit': { paramsTuple?: []; params?: {} }
    'users.sessions.index': { paramsTuple: [ParamValue]; params: {'id': ParamValue} }
    'dashboard': { paramsTuple?: []; params?: {} }
    'webhook_deliveries.index': { paramsTuple?: []; params?: {} }
    'projects.index': { paramsTuple?: []; params?: {} }
    'projects.create': { paramsTuple?: []; params?: {} }
    'projects.show': { paramsTuple: [ParamValue]; params: {'id': ParamValue} }
    'projects.edit': { paramsTuple: [ParamValue]; params: {'id': ParamValue} }
    'projects.integrations.create': { paramsTuple: [ParamValue]; params: {'projectId': ParamValue} }
    'projects.integrations.show': { paramsTuple: [ParamValue,ParamValue]; params: {'projectId': ParamValue,'id': ParamValue} }
    'projects.integrations.edit': { paramsTuple: [ParamValue,ParamValue]; params: {'projectId': ParamValue,'id': ParamValue} }
    'settings.edit': { paramsTuple?: []; params?: {} }
    'users.index': { paramsTuple?: []; params?: {} }
    'users.create': { paramsTuple?: []; params?: {} }
    'users.edit': { paramsTuple: [ParamValue]; params: {'id': ParamValue} }
    'work_items.index': { paramsTuple?: []; params?: {} }
    'work_items.create': { paramsTuple?: []; params?: {} }
    'work_items.show': { paramsTuple: [ParamValue]; params: {'id': ParamValue} }
    'work_items.evidence.show': { paramsTuple: [ParamValue]; params: {'id': ParamValue} }
    'agents.index': { paramsTuple?: []; params?: {} }
    'agents.create': { paramsTuple?: []; params?: {} }
    'agents.show': { paramsTuple: [ParamValue]; params: {'id': ParamValue} }
    'agents.edit': { paramsTuple: [ParamValue]; params: {'id': ParamValue} }
    'inbox.index': { paramsTuple?: []; params?: {} }
    'runs.index': { paramsTuple?: []; params?: {} }
    'runs.show': { paramsTuple: [ParamValue]; params: {'id': ParamValue} }
    'runs.logs.index': { paramsTuple: [ParamValue]; params: {'id': ParamValue} }
    'runs.logs.stream': { paramsTuple: [ParamValue]; params: {'id': ParamValue} }
    'bulk_actions.create': { paramsTuple?: []; params?: {} }
    'bulk_actions.show': { paramsTuple: [ParamValue]; params: {'id': ParamValue} }
    'audit_events.index': { paramsTuple?: []; params?: {} }
  }
  POST: {
    'api.agent.drain.store': { paramsTuple?: []; params?: {} }
    'api.claims.store': { paramsTuple?: []; params?: {} }
    'api.runs.heartbeat': { paramsTuple: [ParamValue]; params: {'id': ParamValue} }
    'api.runs.logs': { paramsTuple: [ParamValue]; params: {'id': ParamValue} }
    'api.runs.complete': { paramsTuple: [ParamValue]; params: {'id': ParamValue} }
    'api.runs.release': { paramsTuple: [ParamValue]; params: {'id': ParamValue} }
    'api.runs.questions': { paramsTuple: [ParamValue]; params: {'id': ParamValue} }
    'api.projects.work_items.store': { paramsTuple: [ParamValue]; params: {'slug': ParamValue} }
    'api.projects.work_items.cancellation': { paramsTuple: [ParamValue,ParamValue]; params: {'slug': ParamValue,'id': ParamValue} }
    'api.projects.work_items.requeue': { paramsTuple: [ParamValue,ParamValue]; params: {'slug': ParamValue,'id': ParamValue} }
    'webhooks.github': { paramsTuple?: []; params?: {} }
    'session.store': { paramsTuple?: []; params?: {} }
    'session.destroy': { paramsTuple?: []; params?: {} }
    'projects.store': { paramsTuple?: []; params?: {} }
    'projects.integrations.store': { paramsTuple: [ParamValue]; params: {'projectId': ParamValue} }
    'projects.integrations.deactivation.store': { paramsTuple: [ParamValue,ParamValue]; params: {'projectId': ParamValue,'id': ParamValue} }
    'projects.integrations.deliveries.redelivery.store': { paramsTuple: [ParamValue,ParamValue,ParamValue]; params: {'projectId': ParamValue,'integrationId': ParamValue,'id': ParamValue} }
    'projects.api_keys.store': { paramsTuple: [ParamValue]; params: {'projectId': ParamValue} }
    'users.store': { paramsTuple?: []; params?: {} }
    'users.deactivation.store': { paramsTuple: [ParamValue]; params: {'id': ParamValue} }
    'work_items.store': { paramsTuple?: []; params?: {} }
    'work_items.approval.store': { paramsTuple: [ParamValue]; params: {'id': ParamValue} }
    'work_items.answer.store': { paramsTuple: [ParamValue]; params: {'id': ParamValue} }
    'work_items.cancellation.store': { paramsTuple: [ParamValue]; params: {'id': ParamValue} }
    'work_items.requeue.store': { paramsTuple: [ParamValue]; params: {'id': ParamValue} }
    'work_items.block.store': { paramsTuple: [ParamValue]; params: {'id': ParamValue} }
    'work_items.pin.store': { paramsTuple: [ParamValue]; params: {'id': ParamValue} }
    'agents.store': { paramsTuple?: []; params?: {} }
    'agents.enablement.store': { paramsTuple: [ParamValue]; params: {'id': ParamValue} }
    'agents.tokens.store': { paramsTuple: [ParamValue]; params: {'id': ParamValue} }
    'runs.cancellation.store': { paramsTuple: [ParamValue]; params: {'id': ParamValue} }
    'runs.review.store': { paramsTuple: [ParamValue]; params: {'id': ParamValue} }
    'bulk_actions.store': { paramsTuple?: []; params?: {} }
  }
  DELETE: {
    'api.agent.drain.destroy': { paramsTuple?: []; params?: {} }
    'users.sessions.destroy': { paramsTuple: [ParamValue,ParamValue]; params: {'id': ParamValue,'sessionId': ParamValue} }
    'projects.integrations.deactivation.destroy': { paramsTuple: [ParamValue,ParamValue]; params: {'projectId': ParamValue,'id': ParamValue} }
    'projects.api_keys.destroy': { paramsTuple: [ParamValue,ParamValue]; params: {'projectId': ParamValue,'id': ParamValue} }
    'users.deactivation.destroy': { paramsTuple: [ParamValue]; params: {'id': ParamValue} }
    'work_items.block.destroy': { paramsTuple: [ParamValue]; params: {'id': ParamValue} }
    'work_items.pin.destroy': { paramsTuple: [ParamValue]; params: {'id': ParamValue} }
    'agents.enablement.destroy': { paramsTuple: [ParamValue]; params: {'id': ParamValue} }
    'agents.tokens.destroy': { paramsTuple: [ParamValue,ParamValue]; params: {'id': ParamValue,'tokenId': ParamValue} }
  }
  PATCH: {
    'api.projects.work_items.update': { paramsTuple: [ParamValue,ParamValue]; params: {'slug': ParamValue,'id': ParamValue} }
    'projects.update': { paramsTuple: [ParamValue]; params: {'id': ParamValue} }
    'projects.integrations.update': { paramsTuple: [ParamValue,ParamValue]; params: {'projectId': ParamValue,'id': ParamValue} }
    'users.update': { paramsTuple: [ParamValue]; params: {'id': ParamValue} }
    'agents.update': { paramsTuple: [ParamValue]; params: {'id': ParamValue} }
  }
  PUT: {
    'account.password.update': { paramsTuple?: []; params?: {} }
    'projects.update': { paramsTuple: [ParamValue]; params: {'id': ParamValue} }
    'projects.state.update': { paramsTuple: [ParamValue]; params: {'id': ParamValue} }
    'projects.integrations.update': { paramsTuple: [ParamValue,ParamValue]; params: {'projectId': ParamValue,'id': ParamValue} }
    'settings.update': { paramsTuple?: []; params?: {} }
    'users.update': { paramsTuple: [ParamValue]; params: {'id': ParamValue} }
    'work_items.priority.update': { paramsTuple: [ParamValue]; params: {'id': ParamValue} }
    'agents.update': { paramsTuple: [ParamValue]; params: {'id': ParamValue} }
  }
}
declare module '@adonisjs/core/types/http' {
  export interface RoutesList extends ScannedRoutes {}
}