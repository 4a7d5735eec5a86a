// Receive and verify Tijori webhooks in Node (20 or later), with @tijori/signing or with the standardwebhooks package.
//
//   TIJORI_WEBHOOK_SECRET='whsec_...' node receiver.mjs     # listens on http://localhost:8000 (PORT to change)
//   node receiver.mjs --verify < deliveries.jsonl             # checks saved deliveries, one JSON object a line:
//                                                             # {"body_base64": ..., "headers": {...}, "secret": "whsec_..."}
//   node receiver.mjs --verify-standardwebhooks < deliveries.jsonl   # the same, with the standardwebhooks package
//
// The guide is docs/webhooks.md.
import { realpathSync } from 'node:fs';
import { createServer } from 'node:http';
import { createInterface } from 'node:readline';
import { pathToFileURL } from 'node:url';

// [verify]
import { verifyWebhook } from '@tijori/signing';

/** Returns the event if the delivery is genuine; throws if not. */
export function verify(rawBody, headers, secret) {
  // rawBody: a Buffer with the request body exactly as received, never JSON.stringify(parsedBody).
  // headers: req.headers (Node), or request.headers (Fetch). secret: 'whsec_...', or [newSecret, oldSecret].
  const result = verifyWebhook({ body: rawBody, headers, secret });
  if (!result.ok) throw new Error(`${result.code}: ${result.message}`);
  return JSON.parse(rawBody.toString('utf8'));
}
// [/verify]

// [verify-standardwebhooks]
import { Webhook } from 'standardwebhooks'; // npm install standardwebhooks (or: import { Webhook } from 'svix')

/** The same with the Standard Webhooks library: it reads webhook-id, webhook-timestamp and webhook-signature. */
export function verifyWithStandardWebhooks(rawBody, headers, secret) {
  return new Webhook(secret).verify(rawBody, headers); // throws WebhookVerificationError; returns the parsed event
}
// [/verify-standardwebhooks]

/** --verify: one verdict a line on stdout; exit status 1 if any delivery was refused. */
async function checkSavedDeliveries(verifier) {
  let refused = 0;
  for await (const line of createInterface({ input: process.stdin })) {
    if (line.trim() === '') continue;
    const delivery = JSON.parse(line);
    try {
      const event = verifier(Buffer.from(delivery.body_base64, 'base64'), delivery.headers, delivery.secret);
      console.log(JSON.stringify({ ok: true, event_id: event.event_id }));
    } catch (error) {
      refused++;
      console.log(JSON.stringify({ ok: false, error: error.message }));
    }
  }
  return refused > 0 ? 1 : 0;
}

const seen = new Set(); // In production: a table with a unique index on event_id, shared by every process.

function serve(secret, port) {
  const server = createServer((req, res) => {
    if (req.method !== 'POST') return res.writeHead(405).end();
    const chunks = [];
    req.on('data', (chunk) => chunks.push(chunk));
    req.on('end', () => {
      let event;
      try {
        event = verify(Buffer.concat(chunks), req.headers, secret);
      } catch (error) {
        return res.writeHead(400, { 'content-type': 'text/plain' }).end(error.message);
      }
      res.writeHead(204).end(); // answer at once: the gateway waits 10 s at most
      // Deliveries are at least once: the same event_id (= webhook-id) can arrive again.
      if (seen.has(event.event_id)) return;
      seen.add(event.event_id);
      // The work happens after the reply. Before fulfilling, ask the order status API: it is the source of truth.
      setImmediate(() => console.log(event.event, event.data.gateway_order_id, event.data.status));
    });
  });
  server.listen(port, 'localhost', () => console.log(`Listening on http://localhost:${server.address().port}/`));
}

// Run as a program (not imported); realpath, so that a symlinked checkout runs it too.
if (process.argv[1] && import.meta.url === pathToFileURL(realpathSync(process.argv[1])).href) {
  const mode = process.argv[2];
  if (mode === '--verify') process.exitCode = await checkSavedDeliveries(verify);
  else if (mode === '--verify-standardwebhooks') process.exitCode = await checkSavedDeliveries(verifyWithStandardWebhooks);
  else if (!process.env.TIJORI_WEBHOOK_SECRET?.startsWith('whsec_')) {
    console.error("Set TIJORI_WEBHOOK_SECRET to the endpoint's signing secret (whsec_...).");
    process.exitCode = 1;
  } else serve(process.env.TIJORI_WEBHOOK_SECRET, Number(process.env.PORT ?? 8000));
}
