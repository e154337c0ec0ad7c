// The notifier and test of docs/plugins.md ("A notifier of your own"), as written there.
import { once } from 'node:events'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { definePlugin, defineProvider, runAction, watchNotifications } from '../src'

function chat(url: string) {
  return definePlugin({
    name: 'chat',
    setup(engine) {
      const sending = new Set<Promise<void>>()
      const unwatch = watchNotifications(engine, (notification) => {
        if (notification.event !== 'task.failed') return
        const { provider, action, error } = notification.data
        const sent: Promise<void> = fetch(url, { method: 'POST', body: JSON.stringify({ text: `${provider}/${action} failed: ${error}` }) })
          .then(
            () => {},
            (error: Error) => void engine.emit('engine:error', { error, context: 'chat' }),
          )
          .finally(() => sending.delete(sent))
        sending.add(sent)
      })
      return async () => {
        unwatch()
        await Promise.all(sending) // the last jobs' messages go out before stop() resolves
      }
    },
  })
}

const failing = defineProvider({
  name: 'failing',
  actions: {
    run: {
      input: z.object({}),
      run: () => {
        throw new Error('boom')
      },
    },
  },
})

describe('docs: a notifier of your own', () => {
  it('posts failed tasks', async () => {
    const received: string[] = []
    const server = createServer(async (req, res) => {
      let body = ''
      for await (const chunk of req) body += chunk
      received.push(body)
      res.end()
    }).listen(0, '127.0.0.1')
    await once(server, 'listening')

    await runAction(failing, 'run', {}, { plugins: [chat(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)] })
    expect(received).toEqual([JSON.stringify({ text: 'failing/run failed: boom' })])
    server.close()
  })
})
