import { Counter, Histogram, type Registry } from 'prom-client'

/** Request counts and latencies of every surface, labelled by the route's declared path (never the raw URL). */
export interface HttpMetrics {
  observe: (request: { surface: string; method: string; route: string; status: number; seconds: number }) => void
  /** `observe` bound to one route: its labelled series are looked up once per status, not per request. */
  forRoute: (surface: string, method: string, route: string) => (status: number, seconds: number) => void
}

const latencyBuckets = [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5]

export function createHttpMetrics(registry: Registry): HttpMetrics {
  const labelNames = ['surface', 'method', 'route', 'status'] as const
  const requests = new Counter({
    name: 'http_requests_total',
    help: 'HTTP requests answered, by surface, method, route and status',
    labelNames,
    registers: [registry],
  })
  const latency = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'Time to answer an HTTP request, by surface, method, route and status',
    labelNames,
    buckets: latencyBuckets,
    registers: [registry],
  })
  const forRoute: HttpMetrics['forRoute'] = (surface, method, route) => {
    const byStatus = new Map<number, { count: () => void; time: (seconds: number) => void }>()
    return (status, seconds) => {
      let series = byStatus.get(status)
      if (!series) {
        const labels = { surface, method, route, status: String(status) }
        const counter = requests.labels(labels)
        const histogram = latency.labels(labels)
        series = { count: () => counter.inc(), time: (value) => histogram.observe(value) }
        byStatus.set(status, series)
      }
      series.count()
      series.time(seconds)
    }
  }
  return {
    observe: ({ surface, method, route, status, seconds }) => forRoute(surface, method, route)(status, seconds),
    forRoute,
  }
}
