// Mints the chat's tokens (HS256 JWT with sub, name, iat, exp) with the server's key, as a host
// application that shares the key would. Also mints the bad ones the server must refuse.
// `iat: null` leaves the issue time out, as a careless host might.
import { createHmac } from "node:crypto";

const b64url = (value) => Buffer.from(value).toString("base64url");

export function mintToken(signingKeyBase64, { sub, name, exp, iat, alg = "HS256", signWith } = {}) {
  const header = b64url(JSON.stringify({ alg, typ: "JWT" }));
  const claims = b64url(JSON.stringify({
    sub: String(sub),
    name,
    ...(iat === null ? {} : { iat: iat ?? Math.floor(Date.now() / 1000) }),
    exp: exp ?? Math.floor(Date.now() / 1000) + 3600,
  }));
  const signingInput = `${header}.${claims}`;
  if (alg === "none") return `${signingInput}.`;
  const key = signWith ?? Buffer.from(signingKeyBase64, "base64");
  const signature = createHmac("sha256", key).update(signingInput).digest("base64url");
  return `${signingInput}.${signature}`;
}
