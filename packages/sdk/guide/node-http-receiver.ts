import { createServer } from 'node:http';
import { TijoriWebhookVerificationError, type WebhookEvent, webhooks } from '@tijori/sdk';

export function createWebhookServer(secret: string, handle: (event: WebhookEvent) => Promise<void>) {
  return createServer(async (req, res) => {
    // The signature covers the body's exact bytes: collect them; parse only what verified.
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    let event: WebhookEvent;
    try {
      event = await webhooks.verify(Buffer.concat(chunks), req.headers, secret);
    } catch (err) {
      if (!(err instanceof TijoriWebhookVerificationError)) throw err;
      res.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ error: err.code }));
      return;
    }
    try {
      await handle(event); // de-duplicate on event.event_id: a delivery can arrive more than once
      res.writeHead(200).end();
    } catch {
      res.writeHead(500).end(); // any non-2xx makes the gateway retry later
    }
  });
}
