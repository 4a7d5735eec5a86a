import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { canonicalJson } from '@tijori/signing';
import { type AuditRecord, chainHash, GENESIS_HASH, verifyChain } from './audit-chain.js';
import { verifyRecordLines } from './audit-verify.js';

/** A chain of `n` records as the trail would write it. */
function chain(n: number): AuditRecord[] {
  const records: AuditRecord[] = [];
  let prev = GENESIS_HASH;
  for (let seq = 1; seq <= n; seq++) {
    const fields = {
      seq,
      at: new Date(Date.UTC(2026, 10, 23, 12, 0, seq)).toISOString(),
      request_id: `req_${seq.toString(16).padStart(32, '0')}`,
      merchant_id: seq % 3 === 0 ? null : 'mer_0123456789abcdef01234567',
      key_id: seq % 3 === 0 ? null : 'key_0123456789abcdef01234567',
      client_ip: '203.0.113.7',
      method: 'POST',
      path: '/api/v3/pg/order/create',
      status: seq % 5 === 0 ? 401 : 200,
      error_code: seq % 5 === 0 ? 'invalid_signature' : null,
      latency_ms: 1.234 + seq,
    };
    const hash = chainHash(prev, fields);
    records.push({ ...fields, prev_hash: prev, hash });
    prev = hash;
  }
  return records;
}

const headOf = (records: AuditRecord[]) => {
  const last = records[records.length - 1] as AuditRecord;
  return { seq: last.seq, hash: last.hash };
};

describe('the audit hash chain', () => {
  it('hashes the previous hash, a newline and the canonical JSON of the fields, seq included', () => {
    const [first] = chain(1) as [AuditRecord];
    const { prev_hash: _p, hash: _h, ...fields } = first;
    const expected = createHash('sha256').update(`${GENESIS_HASH}\n${canonicalJson(fields)}`).digest('hex');
    assert.equal(first.hash, expected);
    assert.equal(first.prev_hash, '0'.repeat(64));
    assert.notEqual(chainHash(GENESIS_HASH, { ...fields, seq: 2 }), expected, 'the seq is covered');
  });

  it('accepts an untouched chain and reports its head', () => {
    const records = chain(50);
    const verdict = verifyChain(records, { head: headOf(records) });
    assert.deepEqual(verdict, { ok: true, count: 50, first: 1, last: headOf(records) });
  });

  it('accepts an empty chain whose head is the genesis', () => {
    assert.deepEqual(verifyChain([], { head: { seq: 0, hash: GENESIS_HASH } }), { ok: true, count: 0, first: null, last: { seq: 0, hash: GENESIS_HASH } });
  });

  it('names an edited record', () => {
    const records = chain(20);
    (records[11] as AuditRecord).status = 500;
    const verdict = verifyChain(records, { head: headOf(records) });
    assert.equal(verdict.ok, false);
    assert.deepEqual(verdict, { ok: false, seq: 12, kind: 'edited', message: 'record seq 12: hash mismatch (edited)' });
  });

  it('names an edited record even when every field but the hash is rewritten consistently downstream', () => {
    const records = chain(10);
    // The editor recomputes record 4's own hash, but record 5 still points at the old one.
    const r4 = records[3] as AuditRecord;
    r4.client_ip = '198.51.100.1';
    r4.hash = chainHash(r4.prev_hash, r4);
    const verdict = verifyChain(records);
    assert.deepEqual(verdict, { ok: false, seq: 5, kind: 'reordered', message: 'record seq 5: prev_hash does not match record 4 (reordered or deleted)' });
  });

  it('names the gap a deleted record leaves', () => {
    const records = chain(20);
    records.splice(6, 1); // seq 7
    assert.deepEqual(verifyChain(records, { head: headOf(records) }), { ok: false, seq: 7, kind: 'deleted', message: 'seq gap after 6 (deleted)' });
  });

  it('names a deleted first record', () => {
    const records = chain(5).slice(1);
    const verdict = verifyChain(records);
    assert.equal(verdict.ok, false);
    assert.equal(!verdict.ok && verdict.seq, 1);
    assert.match(!verdict.ok ? verdict.message : '', /records 1 to 1 are missing \(deleted\)/);
  });

  it('names the first of two records whose seqs were swapped', () => {
    const records = chain(10);
    const a = records[3] as AuditRecord;
    const b = records[4] as AuditRecord;
    [a.seq, b.seq] = [b.seq, a.seq];
    // The database returns them in seq order.
    records.sort((x, y) => x.seq - y.seq);
    const verdict = verifyChain(records, { head: headOf(chain(10)) });
    assert.deepEqual(verdict, { ok: false, seq: 4, kind: 'edited', message: 'record seq 4: hash mismatch (edited)' });
  });

  it('names a renumbered chain after a deletion (seqs closed up to hide the gap)', () => {
    const records = chain(10);
    records.splice(4, 1);
    for (const r of records.slice(4)) r.seq--;
    assert.deepEqual(verifyChain(records), { ok: false, seq: 5, kind: 'edited', message: 'record seq 5: hash mismatch (edited)' });
  });

  it('finds records deleted from the end by comparing with the head', () => {
    const records = chain(10);
    const head = headOf(records);
    assert.deepEqual(verifyChain(records.slice(0, 8), { head }), {
      ok: false,
      seq: 9,
      kind: 'truncated',
      message: 'records after seq 8 are missing: the head is at seq 10 (deleted at the end)',
    });
    assert.deepEqual(verifyChain([], { head }), { ok: false, seq: 1, kind: 'truncated', message: 'no records, but the head is at seq 10 (deleted at the end)' });
  });

  it('finds a last record replaced after the head was written', () => {
    const records = chain(10);
    const head = headOf(records);
    const last = records[9] as AuditRecord;
    last.status = 500;
    last.hash = chainHash(last.prev_hash, last);
    assert.deepEqual(verifyChain(records, { head }), { ok: false, seq: 10, kind: 'edited', message: 'record seq 10: hash does not match the head (the end of the chain was edited)' });
  });

  it('finds a chain rewritten from scratch when given an anchor noted earlier', () => {
    const original = chain(10);
    const anchor = { seq: 6, hash: (original[5] as AuditRecord).hash };
    // A forger with write access recomputes every hash after editing record 3, and moves the head too.
    const forged = chain(10);
    let prev = GENESIS_HASH;
    for (const r of forged) {
      if (r.seq === 3) r.status = 500;
      r.prev_hash = prev;
      r.hash = chainHash(prev, r);
      prev = r.hash;
    }
    assert.equal(verifyChain(forged, { head: headOf(forged) }).ok, true, 'without an anchor a full rewrite is consistent');
    const verdict = verifyChain(forged, { head: headOf(forged), anchor });
    assert.equal(verdict.ok, false);
    assert.equal(!verdict.ok && verdict.seq, 6);
    assert.equal(!verdict.ok && verdict.kind, 'anchor');
    assert.equal(verifyChain(original, { anchor }).ok, true);
    const cut = verifyChain(original.slice(0, 5), { anchor });
    assert.equal(!cut.ok && cut.kind, 'anchor');
  });
});

describe('verifying an export file', () => {
  const lines = (records: AuditRecord[]) => records.map((r) => JSON.stringify(r));

  it('accepts the lines of an untouched chain', async () => {
    const verdict = await verifyRecordLines(lines(chain(30)));
    assert.equal(verdict.ok, true);
    assert.equal(verdict.ok && verdict.count, 30);
  });

  it('accepts an export that starts after seq 1, trusting its first prev_hash', async () => {
    const verdict = await verifyRecordLines(lines(chain(30).slice(10)));
    assert.equal(verdict.ok && verdict.first, 11);
  });

  it('refuses a line that is not a record, naming the line', async () => {
    const text = lines(chain(3));
    text.splice(1, 0, '{"seq": "two"}');
    assert.deepEqual(await verifyRecordLines(text), {
      ok: false,
      kind: 'unreadable',
      line: 2,
      seq: null,
      message: 'line 2: not an audit record (expected one JSON object per line, as the export writes)',
    });
  });

  it('names an edited line', async () => {
    const records = chain(10);
    (records[2] as AuditRecord).path = '/api/v3/pg/order/status';
    const verdict = await verifyRecordLines(lines(records));
    assert.equal(!verdict.ok && verdict.message, 'record seq 3: hash mismatch (edited)');
  });

  it('names two lines swapped', async () => {
    const records = chain(10);
    const text = lines(records);
    [text[3], text[4]] = [text[4] as string, text[3] as string];
    const verdict = await verifyRecordLines(text);
    assert.equal(!verdict.ok && verdict.message, 'seq gap after 3 (deleted)');
  });
});
