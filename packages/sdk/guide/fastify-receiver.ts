import Fastify from 'fastify';
import { TijoriWebhookVerificationError, type WebhookEvent, webhooks } from '@tijori/sdk';

export function createWebhookApp(secret: string, handle: (event: WebhookEvent) => Promise<void>) {
  const app = Fastify();
  // Fastify parses JSON bodies, and a parsed object is not the bytes that were signed. Inside this
  // plugin only, application/json stays a Buffer; the rest of the app keeps the usual parser.
  app.register(async function tijoriWebhooks(scope) {
    scope.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));
    scope.post('/webhooks/tijori', async (request, reply) => {
      let event: WebhookEvent;
      try {
        event = await webhooks.verify(request.body as Buffer, request.headers, secret);
      } catch (err) {
        if (err instanceof TijoriWebhookVerificationError) return reply.code(400).send({ error: err.code });
        throw err;
      }
      await handle(event); // if this throws, Fastify answers 500 and the gateway retries later
      return reply.code(200).send({ received: true });
    });
  });
  return app;
}
