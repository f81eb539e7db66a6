// Container image references.

/**
 * `registry:5000/team/app:1.2@sha256:…` → name `registry:5000/team/app`, tag `1.2`, digest `sha256:…`
 * (a port's colon is not a tag's: only a colon after the last slash starts one). Absent parts are left out.
 */
export function parseImage(image: string): { name: string; tag?: string; digest?: string } {
  const at = image.indexOf('@');
  const rest = at >= 0 ? image.slice(0, at) : image;
  const digest = at >= 0 ? image.slice(at + 1) : undefined;
  const slash = rest.lastIndexOf('/');
  const colon = rest.lastIndexOf(':');
  const tag = colon > slash ? rest.slice(colon + 1) : undefined;
  return { name: colon > slash ? rest.slice(0, colon) : rest, ...(tag ? { tag } : {}), ...(digest ? { digest } : {}) };
}
