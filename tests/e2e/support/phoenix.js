// The official phoenix client, wired for Node: Node 20 has no global WebSocket, so the
// `ws` package is passed as the transport, as the client's options allow. LongPoll is the
// client's own, over Node's fetch.
import { LongPoll, Socket, Presence } from "phoenix";
import WebSocket from "ws";

export { LongPoll, Presence };

/** The transports the end-to-end cases run over: the same chat, presence and catch-up on each. */
export const transports = [
  { name: "WebSocket", transport: WebSocket },
  { name: "LongPoll", transport: LongPoll },
];

export function connectSocket(url, options = {}) {
  const socket = new Socket(url, {
    transport: WebSocket,
    heartbeatIntervalMs: 30000,
    reconnectAfterMs: () => 100,
    rejoinAfterMs: () => 100,
    ...options,
  });
  socket.connect();
  return socket;
}

/** Resolves with the push's reply as { status, response }, whatever the status. */
export function reply(push, timeoutMs = 5000) {
  return new Promise((resolve, reject) => {
    push
      .receive("ok", (response) => resolve({ status: "ok", response }))
      .receive("error", (response) => resolve({ status: "error", response }))
      .receive("timeout", () => reject(new Error("push timed out")));
    setTimeout(() => reject(new Error("no reply")), timeoutMs + 100);
  });
}

export function join(channel, timeoutMs = 5000) {
  return reply(channel.join(timeoutMs), timeoutMs);
}

/** Resolves with the next `event` on the channel. */
export function nextEvent(channel, event, timeoutMs = 5000) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${event} within ${timeoutMs} ms`)), timeoutMs);
    const ref = channel.on(event, (payload) => {
      clearTimeout(timer);
      channel.off(event, ref);
      resolve(payload);
    });
  });
}

export function waitFor(predicate, timeoutMs = 5000, what = "condition") {
  return new Promise((resolve, reject) => {
    const deadline = Date.now() + timeoutMs;
    const tick = () => {
      let value;
      try { value = predicate(); } catch (error) { return reject(error); }
      if (value) return resolve(value);
      if (Date.now() > deadline) return reject(new Error(`timed out waiting for ${what}`));
      setTimeout(tick, 20);
    };
    tick();
  });
}

/**
 * Disconnects and resolves once closed, or after 3 s at the latest: phoenix.js drops the
 * callback when a reconnect starts during its teardown (its connectClock moves on), and an
 * after() hook waiting for it then hung the whole suite on a loaded machine.
 */
export function disconnect(socket) {
  return Promise.race([
    new Promise((resolve) => socket.disconnect(resolve)),
    new Promise((resolve) => setTimeout(resolve, 3000).unref()),
  ]);
}
