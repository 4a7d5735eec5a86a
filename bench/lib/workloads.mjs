// What the load generator sends: autocannon request definitions whose
// setupRequest builds every request afresh (own order id, own timestamp, own
// signature over the exact bytes sent).
import { signV1, unixSeconds } from './sign-v1.mjs'

const CREATE_PATH = '/api/v3/pg/order/create'
const STATUS_PATH = '/api/v3/pg/order/status'

function createBody (orderId) {
  return `{"order_id":"${orderId}","order_amount":"105.00","order_currency":"INR","order_note":"bench","service_type":"DIGITAL","customer":{"name":"Ajay","email":"a@example.com","phone":"9816512345"},"return_url":"https://merchant.example/return"}`
}

function signedRequest (request, credentials, path, body) {
  const timestamp = unixSeconds()
  request.method = 'POST'
  request.path = path
  request.body = body
  request.headers = {
    'content-type': 'application/json',
    accept: 'application/json',
    'x-api-key': credentials.api_key,
    'x-timestamp': timestamp,
    'x-signature': signV1(credentials.secret_key, body, timestamp)
  }
  return request
}

// Order ids `${idPrefix}${n}`, n counting up across every autocannon run of
// this process, so warm-up, pre-creation and timed run never reuse one.
// With pipelining 1 a connection has one request in flight, so the id kept in
// its context is the one the next response answers; onResponse reads it there.
export function createOrders ({ credentials, idPrefix, onResponse }) {
  let next = 0
  return [{
    setupRequest: function setupCreateOrder (request, context) {
      const orderId = `${idPrefix}${next++}`
      context.orderId = orderId
      return signedRequest(request, credentials, CREATE_PATH, createBody(orderId))
    },
    onResponse: function onCreateResponse (status, body, context) {
      onResponse(status, body, context.orderId)
    }
  }]
}

// Round-robin over orders that exist. The server refuses a signature it has
// already accepted (replay protection), and the same order asked twice in the
// same second is the same signature, so the list must be longer than one
// second of requests; run.mjs checks that afterwards.
export function orderStatus ({ credentials, orderIds, onResponse }) {
  let next = 0
  return [{
    setupRequest: function setupOrderStatus (request, context) {
      const orderId = orderIds[next]
      next = (next + 1) % orderIds.length
      context.orderId = orderId
      return signedRequest(request, credentials, STATUS_PATH, `{"order_id":"${orderId}"}`)
    },
    onResponse: function onStatusResponse (status, body, context) {
      onResponse(status, body, context.orderId)
    }
  }]
}

// The soak's mix: creates, and every `statusEvery`-th request the status of
// an order this run created (through any process). Each created order is
// asked about at most once, so no status signature can repeat however fast
// the server goes; while none is waiting, the request is a create.
export function createAndStatus ({ credentials, idPrefix, statusEvery, onResponse }) {
  // Oldest first; bounded, because creates outnumber status reads and the surplus is never asked about.
  const waiting = []
  const WAITING_MAX = 10_000
  let next = 0
  let sent = 0
  return [{
    setupRequest: function setupCreateOrStatus (request, context) {
      sent++
      if (sent % statusEvery === 0 && waiting.length > 0) {
        const orderId = waiting.shift()
        context.kind = 'status'
        context.orderId = orderId
        return signedRequest(request, credentials, STATUS_PATH, `{"order_id":"${orderId}"}`)
      }
      const orderId = `${idPrefix}${next++}`
      context.kind = 'create'
      context.orderId = orderId
      return signedRequest(request, credentials, CREATE_PATH, createBody(orderId))
    },
    onResponse: function onCreateOrStatusResponse (status, body, context) {
      if (context.kind === 'create' && status === 200) {
        waiting.push(context.orderId)
        if (waiting.length > WAITING_MAX) waiting.shift()
      }
      onResponse(status, body, context.orderId, context.kind)
    }
  }]
}
