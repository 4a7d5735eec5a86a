// app/api/webhooks/tijori/route.ts (Next.js App Router; runs on the Node.js and the Edge runtime alike)
import { TijoriWebhookVerificationError, webhooks } from '@tijori/sdk';

export async function POST(request: Request): Promise<Response> {
  // The body as bytes, read once: do not call request.json() (or request.text() and JSON.parse) before verifying.
  const rawBody = await request.arrayBuffer();
  try {
    const event = await webhooks.verify(rawBody, request.headers, process.env.TIJORI_WEBHOOK_SECRET ?? '');
    // ... act on the event, de-duplicating on event.event_id ...
    return Response.json({ received: event.event_id });
  } catch (err) {
    if (err instanceof TijoriWebhookVerificationError) return Response.json({ error: err.code }, { status: 400 });
    throw err;
  }
}
