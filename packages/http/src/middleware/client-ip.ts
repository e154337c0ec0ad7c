import { BlockList, isIP } from 'node:net'

/**
 * Which `X-Forwarded-For` / `Forwarded` entries to believe: a number of proxy hops in front of the
 * server, or the addresses and CIDR ranges of the proxies. Unset, the headers are ignored and the
 * client is the socket's peer (anyone can write those headers).
 */
export type TrustProxy = number | string[]

/** The client address of a request, from its socket peer and its headers. */
export type ClientIpResolver = (socketAddress: string, headers: Headers) => string

/** `192.0.2.1`, `2001:db8::/32`: an address, optionally with a prefix length that fits it. */
export function isAddressOrCidr(entry: string): boolean {
  const [address, prefix, ...rest] = entry.trim().split('/')
  const family = isIP(address)
  if (family === 0 || rest.length > 0) return false
  if (prefix === undefined) return true
  return /^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128)
}

function blockListOf(entries: string[]): BlockList {
  const list = new BlockList()
  for (const entry of entries) {
    if (!isAddressOrCidr(entry)) throw new RangeError(`trustProxy: "${entry}" is not an IP address or CIDR range`)
    const [address, prefix] = entry.trim().split('/')
    const type = isIP(address) === 4 ? 'ipv4' : 'ipv6'
    if (prefix === undefined) list.addAddress(address, type)
    else list.addSubnet(address, Number(prefix), type)
  }
  return list
}

/** `"[2001:db8::1]:4711"` → `2001:db8::1`; `192.0.2.1:80` → `192.0.2.1`. */
function forwardedNode(value: string): string {
  const node = value.trim().replace(/^"|"$/g, '')
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(node)
  if (bracketed) return bracketed[1]
  const withPort = /^([\d.]+):\d+$/.exec(node)
  return withPort ? withPort[1] : node
}

/** The addresses the proxies reported, nearest to the client first: RFC 7239 `Forwarded` when sent, else `X-Forwarded-For`. */
function forwardedChain(headers: Headers): string[] {
  const forwarded = headers.get('forwarded')
  if (forwarded) {
    return forwarded.split(',').map((element) => {
      const pair = element.split(';').find((part) => part.trim().toLowerCase().startsWith('for='))
      return pair ? forwardedNode(pair.trim().slice(4)) : ''
    })
  }
  const xff = headers.get('x-forwarded-for')
  return xff ? xff.split(',').map((entry) => entry.trim()) : []
}

function ipFamily(address: string): 'ipv4' | 'ipv6' {
  return isIP(address) === 4 ? 'ipv4' : 'ipv6'
}

/**
 * Builds the resolver once per server. The chain is the reported addresses followed by the socket
 * peer; with `hops` the client is the entry that many places left of the peer, with ranges it is
 * the rightmost entry that is not a trusted proxy. An entry that is not an IP address (`unknown`,
 * an obfuscated name) is not believed: the address of the proxy that reported it is used instead.
 */
export function createClientIpResolver(trust: TrustProxy | undefined): ClientIpResolver {
  if (trust === undefined || trust === 0 || (Array.isArray(trust) && trust.length === 0)) return (socketAddress) => socketAddress
  const proxies = Array.isArray(trust) ? blockListOf(trust) : undefined
  return (socketAddress, headers) => {
    const chain = [...forwardedChain(headers), socketAddress]
    let index = chain.length - 1
    if (proxies) {
      while (index > 0 && isIP(chain[index]) !== 0 && proxies.check(chain[index], ipFamily(chain[index]))) index--
    } else {
      index = Math.max(0, index - (trust as number))
    }
    while (index < chain.length - 1 && isIP(chain[index]) === 0) index++
    return chain[index]
  }
}
