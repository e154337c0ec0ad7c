import { describe, expect, it } from 'vitest'
import { createRedactor, REDACTED } from '../src/utils/redact'

describe('redact', () => {
  it('hides secret values in text, longest first', () => {
    const redact = createRedactor({ secrets: ['hunter2', 'hunter2-extended', '', undefined] })
    expect(redact.text('pw=hunter2-extended and hunter2')).toBe(`pw=${REDACTED} and ${REDACTED}`)
    expect(redact.text('nothing here')).toBe('nothing here')
  })

  it('hides secrets as they appear inside JSON strings and URLs', () => {
    const redact = createRedactor({ secrets: ['a"b/c d'] })
    expect(redact.text(JSON.stringify({ x: 'a"b/c d' }))).toBe(`{"x":"${REDACTED}"}`)
    expect(redact.text(`https://h/?k=${encodeURIComponent('a"b/c d')}`)).toBe(`https://h/?k=${REDACTED}`)
  })

  it('treats regex characters in secrets literally', () => {
    const redact = createRedactor({ secrets: ['p.s*(x)'] })
    expect(redact.text('p.s*(x) pas(x)')).toBe(`${REDACTED} pas(x)`)
  })

  it('masks values under secret-looking keys in a deep copy', () => {
    const redact = createRedactor({ secrets: ['tok-123'] })
    const input = {
      host: 'db',
      db_password: 'pw1',
      nested: { apiKey: 'k', API_TOKEN: 'abc', list: ['see tok-123'], passive: 'kept' },
      count: 3,
    }
    const out = redact.value(input)
    expect(out).toEqual({
      host: 'db',
      db_password: REDACTED,
      nested: { apiKey: REDACTED, API_TOKEN: REDACTED, list: [`see ${REDACTED}`], passive: 'kept' },
      count: 3,
    })
    expect(input.db_password).toBe('pw1')
  })

  it('masks extra key names given as strings or patterns', () => {
    const redact = createRedactor({ keys: ['default_password', /^root_/] })
    expect(redact.value({ default_password: 'x', root_pin: 1, other: 'y' })).toEqual({
      default_password: REDACTED,
      root_pin: REDACTED,
      other: 'y',
    })
    expect(redact.isSecretKey('DEFAULT_PASSWORD')).toBe(true)
    expect(redact.isSecretKey('hostname')).toBe(false)
  })

  it('collects values under secret keys so later text hides them', () => {
    const redact = createRedactor()
    redact.collect({ vars: { admin_password: 's3cr3t!', user: 'bob' } })
    expect(redact.text('login bob s3cr3t!')).toBe(`login bob ${REDACTED}`)
  })

  it('hides secrets in errors, their properties and causes', () => {
    const redact = createRedactor({ secrets: ['sekret'] })
    const cause = new Error('inner sekret')
    const error = Object.assign(new Error('failed with sekret', { cause }), { command: 'run --key sekret', token: 'x' })
    const same = redact.error(error)
    expect(same).toBe(error)
    expect(error.message).toBe(`failed with ${REDACTED}`)
    expect(error.stack).not.toContain('sekret')
    expect(error.command).toBe(`run --key ${REDACTED}`)
    expect(error.token).toBe(REDACTED)
    expect(cause.message).toBe(`inner ${REDACTED}`)
  })

  it('masks lists under secret keys item by item, but not lists naming secrets', () => {
    const redact = createRedactor()
    const input = { tokens: ['t1', 't2'], secrets: ['license'], secretVars: ['db_pw'], nested: { api_keys: [{ id: 1 }] } }
    expect(redact.value(input)).toEqual({ tokens: [REDACTED, REDACTED], secrets: ['license'], secretVars: ['db_pw'], nested: { api_keys: [{ id: 1 }] } })
    redact.collect(input)
    expect(redact.text('t1 t2 license')).toBe(`${REDACTED} ${REDACTED} license`)
  })

  it('copes with cycles and learns secrets later', () => {
    const redact = createRedactor()
    const loop: Record<string, unknown> = { name: 'later-secret' }
    loop.self = loop
    redact.add('later-secret')
    const out = redact.value(loop) as Record<string, unknown>
    expect(out.name).toBe(REDACTED)
    expect(out.self).toBe(out)
  })
})
