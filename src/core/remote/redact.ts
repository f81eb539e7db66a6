// Credentials never leave the user's configuration: a URL written with `user:password@` (or a token
// as the user) is shown as `***@`, and query parameters that carry secrets (`token`, `password`, `sig`…) as `***`, in
// every message, note, cache record and error text that mentions it.

const USERINFO_RE = /\b([a-z][a-z0-9+.-]*:\/\/)([^/@\s:'"]*)(?::[^/@\s'"]*)?@/gi;
const SECRET_QUERY_RE = /([?&](?:access_token|token|password|passwd|secret|sig|signature|x-amz-signature|private_token)=)[^&#\s'"]*/gi;

/** The text with every credential in a URL replaced by `***`. */
export function redact(text: string): string {
  return text.replace(USERINFO_RE, '$1***@').replace(SECRET_QUERY_RE, '$1***');
}

/** A URL without its credentials, to key caches and to show. */
export function withoutCredentials(url: string): string {
  return url.replace(USERINFO_RE, '$1').replace(SECRET_QUERY_RE, '$1');
}
