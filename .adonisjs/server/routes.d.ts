import '@adonisjs/core/types/http'

type ParamValue = string | number | bigint | boolean

export type ScannedRoutes = {
  ALL: {
    'health.live': { paramsTuple?: []; params?: {} }
    'health.ready': { paramsTuple?: []; params?: {} }
    'api.agent.show': { paramsTuple?: []; params?: {} }
    'api.claims.store': { paramsTuple?: []; params?: {} }
    'api.runs.show': { paramsTuple: [ParamValue]; params: {'id': ParamValue} }
    'api.runs.heartbeat': { paramsTuple: [ParamValue]; params: {'id': ParamValue} }
    'api.runs.logs': { paramsTuple: [ParamValue]; params: {'id': ParamValue} }
    'api.runs.complete': { paramsTuple: [ParamValue]; params: {'id': ParamValue} }
    'api.runs.release': { paramsTuple: [ParamValue]; params: {'id': ParamValue} }
  }
  GET: {
    'health.live': { paramsTuple?: []; params?: {} }
    'health.ready': { paramsTuple?: []; params?: {} }
    'api.agent.show': { paramsTuple?: []; params?: {} }
    'api.runs.show': { paramsTuple: [ParamValue]; params: {'id': ParamValue} }
  }
  HEAD: {
    'health.live': { paramsTuple?: []; params?: {} }
    'health.ready': { paramsTuple?: []; params?: {} }
    'api.agent.show': { paramsTuple?: []; params?: {} }
    'api.runs.show': { paramsTuple: [ParamValue]; params: {'id': ParamValue} }
  }
  POST: {
    'api.claims.store': { paramsTuple?: []; params?: {} }
    'api.runs.heartbeat': { paramsTuple: [ParamValue]; params: {'id': ParamValue} }
    'api.runs.logs': { paramsTuple: [ParamValue]; params: {'id': ParamValue} }
    'api.runs.complete': { paramsTuple: [ParamValue]; params: {'id': ParamValue} }
    'api.runs.release': { paramsTuple: [ParamValue]; params: {'id': ParamValue} }
  }
}
declare module '@adonisjs/core/types/http' {
  export interface RoutesList extends ScannedRoutes {}
}