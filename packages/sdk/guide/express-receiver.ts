import express from 'express';
import { TijoriWebhookVerificationError, type WebhookEvent, webhooks } from '@tijori/sdk';

export function createWebhookApp(secret: string, handle: (event: WebhookEvent) => Promise<void>) {
  const app = express();
  // express.raw leaves req.body as the Buffer received. Register this route before any app.use(express.json()),
  // which would parse the body first and leave nothing to verify.
  app.post('/webhooks/tijori', express.raw({ type: 'application/json' }), async (req, res) => {
    let event: WebhookEvent;
    try {
      event = await webhooks.verify(req.body as Buffer, req.headers, secret);
    } catch (err) {
      if (!(err instanceof TijoriWebhookVerificationError)) throw err;
      res.status(400).json({ error: err.code });
      return;
    }
    await handle(event); // Express 5 answers 500 if this throws, and the gateway retries later
    res.status(200).json({ received: true });
  });
  app.use(express.json()); // the rest of your app
  return app;
}
