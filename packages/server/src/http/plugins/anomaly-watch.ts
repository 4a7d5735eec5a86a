import type { FastifyInstance } from 'fastify';
import type { AnomalyDetector } from '../../core/anomaly-detector.js';

/**
 * Feeds every answered merchant API request to the anomaly rules, after the
 * reply is sent. Registered in the merchant API's scope, after request-auth,
 * whose decorations (the key named, the client address) it reads.
 */
export function registerAnomalyWatch(app: FastifyInstance, detector: AnomalyDetector): void {
  // A callback hook, not async: it runs on every request and needs no promise.
  app.addHook('onResponse', function watchForAnomalies(request, reply, done) {
    const key = request.apiKey;
    if (key) {
      detector.observe({
        key,
        clientIp: request.clientIp,
        authenticated: request.authenticated,
        errorCode: reply.errorCode ?? null,
        outsideAllowlist: request.outsideAllowlist,
      });
    }
    done();
  });
}
