import type { Engine } from '../engine'

export interface Plugin {
  name: string
  /** Called once when the engine starts, before queued jobs resume. May return a teardown. */
  setup: (engine: Engine) => void | (() => void | Promise<void>) | Promise<void | (() => void | Promise<void>)>
}

/** A route a plugin contributes; `@provisio/http` mounts it on the surfaces it names (all when omitted). */
export interface PluginRoute {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'
  path: string
  surfaces?: string[]
  handler: (request: Request) => Response | Promise<Response>
}
