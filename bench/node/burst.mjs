// The Node side of bench/burst.sh: the same burst as bench/burst.cpp with
// @segment/analytics-node (pinned in package.json): create a client, track N events with the
// same five properties, closeAndFlush, against the same receiver.
//
//   node burst.mjs HOST_URL [EVENTS]
//
// Prints events/s over the whole run (construction to closeAndFlush resolved), the calls alone,
// and the peak RSS sampled every 5 ms (burst.sh also takes /usr/bin/time's maximum RSS).
// The last line, "result ...", is what burst.sh reads.
import { Analytics } from '@segment/analytics-node'

const host = process.argv[2]
const events = Number(process.argv[3] ?? 100000)
if (!host || !(events > 0)) {
  console.error('usage: node burst.mjs HOST_URL [EVENTS]')
  process.exit(2)
}

let peakRss = process.memoryUsage.rss()
const sampler = setInterval(() => {
  peakRss = Math.max(peakRss, process.memoryUsage.rss())
}, 5)

let errors = 0
const t0 = performance.now()
const analytics = new Analytics({ writeKey: 'bench-key-000000000000', host, maxEventsInBatch: 500 })
analytics.on('error', () => { errors++ })
for (let n = 0; n < events; n++) {
  analytics.track({
    userId: 'u-42',
    event: 'Order Completed',
    properties: { order_id: 'o-12345', revenue: 42.5, items: n, gift: false, currency: 'EUR' },
  })
}
const tCalls = performance.now()
peakRss = Math.max(peakRss, process.memoryUsage.rss())
await analytics.closeAndFlush({ timeout: 300000 })
const t1 = performance.now()
clearInterval(sampler)
peakRss = Math.max(peakRss, process.memoryUsage.rss())

const total = (t1 - t0) / 1000
const calls = (tCalls - t0) / 1000
console.log(`@segment/analytics-node ${analytics.VERSION}: ${events} events, 5 properties, maxEventsInBatch 500`)
console.log(`  created, tracked, closed:  ${total.toFixed(3)} s  (${Math.round(events / total)} events/s)`)
console.log(`  calls:                     ${calls.toFixed(3)} s, mean call cost ${Math.round((tCalls - t0) * 1e6 / events)} ns`)
console.log(`  errors emitted:            ${errors}`)
console.log(`  peak RSS (sampled):        ${(peakRss / 1048576).toFixed(1)} MiB`)
console.log(`result events_per_s=${Math.round(events / total)} rss_kib=${Math.round(peakRss / 1024)} errors=${errors}`)
