import { describe, expect, it } from 'vitest';
import { HubError } from '../../src/hub/errors.js';
import { hubSecrets, redact, redactError } from '../../src/hub/redact.js';

describe('redact', () => {
  it('masks the user info of every URL, keeping scheme, host and path', () => {
    expect(redact('tried http://user:pa@ss@mirror.example:8080/a/b and https://tok@cdn.example/x')).toBe(
      'tried http://***@mirror.example:8080/a/b and https://***@cdn.example/x',
    );
    expect(redact('https://huggingface.co/timm/x/resolve/main/model.safetensors')).toBe('https://huggingface.co/timm/x/resolve/main/model.safetensors');
  });

  it('masks a secret as is, JSON-escaped and percent-encoded', () => {
    const secret = 'hf_ab"c/d\ne';
    const text = `raw ${secret} | json ${JSON.stringify(secret)} | url ${encodeURIComponent(secret)}`;
    expect(redact(text, [secret])).toBe('raw *** | json "***" | url ***');
  });

  it('masks the pieces of a secret split by line breaks, but not pieces under 4 characters', () => {
    expect(redact('first hf_abcdef then ghij then xy', ['hf_abcdef\nghij\r\nxy'])).toBe('first *** then *** then xy');
  });

  it('masks the whole secret before its pieces, and ignores empty secrets', () => {
    expect(redact('Bearer hf_abcd\nefgh.', ['hf_abcd\nefgh', ''])).toBe('Bearer ***.');
  });

  it('lists the token forms and the endpoint user info and password (decoded too) as secrets', () => {
    expect(hubSecrets(['hf_x\n', 'hf_x', undefined, ''], 'http://me:p%40ss@host/a@b')).toEqual(['hf_x\n', 'hf_x', 'me:p%40ss', 'p%40ss', 'p@ss']);
    expect(hubSecrets(['hf_x', 'hf_x'], 'me:pw12@host')).toEqual(['hf_x', 'me:pw12', 'pw12']);
    expect(hubSecrets([], 'https://huggingface.co')).toEqual([]);
  });

  it('rebuilds a HubError with its message, URLs and cause chain redacted', () => {
    const root = Object.assign(new TypeError('Headers.append: "Bearer hf_SECRET1234" is invalid'), { code: 'ERR_X' });
    const inner = new HubError('NETWORK', 'inner hf_SECRET1234', { url: 'http://u:pw12@h/x', cause: root, retryable: true });
    const outer = new HubError('NETWORK', 'outer http://u:pw12@h/x', { url: 'http://u:pw12@h/x', manualUrl: 'http://u:pw12@h/m', status: 503, cause: inner });
    const clean = redactError(outer, ['hf_SECRET1234', 'pw12']) as HubError;
    expect(clean).toBeInstanceOf(HubError);
    expect(clean).toMatchObject({ code: 'NETWORK', message: 'outer http://***@h/x', url: 'http://***@h/x', manualUrl: 'http://***@h/m', status: 503 });
    expect(clean.stack).not.toContain('pw12');
    const cleanInner = clean.cause as HubError;
    expect(cleanInner).toMatchObject({ code: 'NETWORK', message: 'inner ***', url: 'http://***@h/x', retryable: true });
    const cleanRoot = cleanInner.cause as Error & { code?: string };
    expect(cleanRoot).toMatchObject({ name: 'TypeError', message: 'Headers.append: "Bearer ***" is invalid', code: 'ERR_X' });
    expect(cleanRoot.stack).not.toContain('SECRET');
  });

  it('returns anything that is not a HubError as it is', () => {
    const plain = new Error('plain');
    expect(redactError(plain, ['plain'])).toBe(plain);
  });
});
