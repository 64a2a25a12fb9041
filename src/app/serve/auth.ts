// The optional bearer token (VIT_SERVE_TOKEN for `vit serve`). The comparison takes the same
// time whatever the guess: both sides are hashed to equal-length digests first, then compared
// with timingSafeEqual, so neither the length nor a matching prefix shows in the timing.

import { crypto } from '../../util/builtins.js';

const digest = (text: string) => crypto().createHash('sha256').update(text, 'utf8').digest();

/** A check of an Authorization header against `token`. */
export function bearerCheck(token: string): (authorization: string | undefined) => boolean {
  if (token === '') throw new RangeError('the bearer token is empty');
  const expected = digest(token);
  return (authorization) => {
    const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(authorization ?? '');
    // A missing header is still compared, against nothing, so it costs what a wrong token costs.
    return crypto().timingSafeEqual(digest(match?.[1] ?? ''), expected) && match !== null;
  };
}
