import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { lastValue, mergeCaptured, parseHeaderOptions, parseHeadersFile } from './captured-headers.js';

describe('captured headers', () => {
  it('reads a captured request: request line, headers, and the body byte for byte after the blank line', () => {
    const body = '{"a":"₹"}\r\n';
    const parsed = parseHeadersFile(Buffer.from(`POST /api/v3/pg/order/status?x=1 HTTP/1.1\r\nX-Signature: ab\r\nX-Timestamp:  17 \r\n\r\n${body}`), 'req.http');
    assert.ok(parsed.ok);
    assert.equal(parsed.captured.method, 'POST');
    assert.equal(parsed.captured.path, '/api/v3/pg/order/status?x=1');
    assert.deepEqual(parsed.captured.headers, { 'x-signature': ['ab'], 'x-timestamp': ['17'] });
    assert.deepEqual(parsed.captured.body, Buffer.from(body));
  });

  it('skips the status line of curl -D output, and reads a JSON object of headers', () => {
    const dumped = parseHeadersFile(Buffer.from('HTTP/1.1 200 OK\nwebhook-id: evt_1\n'), 'h.txt');
    assert.deepEqual(dumped.ok && dumped.captured.headers, { 'webhook-id': ['evt_1'] });
    const json = parseHeadersFile(Buffer.from('{"Webhook-Id":"evt_1","x-signature":["a","b"]}'), 'h.json');
    assert.deepEqual(json.ok && json.captured.headers, { 'webhook-id': ['evt_1'], 'x-signature': ['a', 'b'] });
  });

  it('lets -H lines given after a file win, and names a line that is not a header', () => {
    const fromFile = parseHeadersFile(Buffer.from('X-Timestamp: 1\n'), 'f');
    const fromFlags = parseHeaderOptions(['x-timestamp: 2']);
    assert.ok(fromFile.ok && fromFlags.ok);
    assert.equal(lastValue(mergeCaptured(fromFile.captured, fromFlags.captured), 'x-timestamp'), '2');
    const bad = parseHeadersFile(Buffer.from('X-Timestamp: 1\nnot a header\n'), 'f');
    assert.equal(bad.ok, false);
    assert.match(bad.ok ? '' : bad.message, /^f line 2: expected "Name: value"\.$/);
    assert.match((parseHeaderOptions(['nope']) as { message: string }).message, /^-H "nope": expected/);
  });
});
