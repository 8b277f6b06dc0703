// Mints the chat's socket tokens (HS256 JWT with sub, name, exp), as a host application
// that shares the server's signing key would (CONTRACT.md §1).
import { createHmac } from "node:crypto";

const b64url = (value) => Buffer.from(value).toString("base64url");
const header = b64url(JSON.stringify({ alg: "HS256", typ: "JWT" }));

export function mintToken(signingKeyBase64, { sub, name, ttlSeconds = 24 * 3600 }) {
  const claims = b64url(JSON.stringify({
    sub: String(sub),
    name,
    exp: Math.floor(Date.now() / 1000) + ttlSeconds,
  }));
  const signingInput = `${header}.${claims}`;
  const signature = createHmac("sha256", Buffer.from(signingKeyBase64, "base64"))
    .update(signingInput).digest("base64url");
  return `${signingInput}.${signature}`;
}
