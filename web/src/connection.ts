// The one socket of the app, and what the connection banner shows about it.
import { Socket } from "phoenix";
import { isExpired } from "./session";
import { Emitter } from "./emitter";

export type ConnectionState = "connecting" | "online" | "reconnecting" | "offline";

export class Connection {
  readonly socket: Socket;
  readonly changed = new Emitter<ConnectionState>();
  state: ConnectionState = "connecting";
  private failuresSinceOpen = 0;
  private checkingAuth = false;
  private closed = false;
  private readonly onOnline = () => this.wake();
  private readonly onOffline = () => this.goOffline();

  constructor(
    private readonly token: string,
    private readonly onUnauthorized: () => void,
  ) {
    this.socket = new Socket("/socket", {
      // Sent in Sec-WebSocket-Protocol, so the token stays out of URLs and access logs.
      authToken: token,
      // A dead connection is noticed within two heartbeats.
      heartbeatIntervalMs: 15_000,
      reconnectAfterMs: (tries) => [100, 250, 500, 1000, 2000][tries - 1] ?? 4000,
      rejoinAfterMs: (tries) => [250, 1000, 2000][tries - 1] ?? 5000,
    });
    this.socket.onOpen(() => {
      this.failuresSinceOpen = 0;
      this.set("online");
    });
    this.socket.onError(() => this.lost(true));
    this.socket.onClose(() => this.lost(false));
    window.addEventListener("online", this.onOnline);
    window.addEventListener("offline", this.onOffline);
  }

  connect(): void {
    if (navigator.onLine === false) this.set("offline");
    this.socket.connect();
  }

  close(): void {
    this.closed = true;
    window.removeEventListener("online", this.onOnline);
    window.removeEventListener("offline", this.onOffline);
    this.socket.disconnect();
  }

  private set(state: ConnectionState): void {
    if (this.state === state) return;
    this.state = state;
    this.changed.emit(state);
  }

  private lost(failed: boolean): void {
    if (this.closed) return;
    if (failed) this.failuresSinceOpen++;
    if (this.state !== "offline") this.set(navigator.onLine === false ? "offline" : this.state === "connecting" && this.failuresSinceOpen === 0 ? "connecting" : "reconnecting");
    if (this.failuresSinceOpen >= 3) void this.checkAuth();
  }

  /** The browser says the network is gone: the socket is dead, whatever its heartbeat thinks. */
  private goOffline(): void {
    if (this.closed) return;
    this.set("offline");
    this.socket.disconnect();
  }

  /** The network is back: reconnect now instead of at the next back-off tick. */
  private wake(): void {
    if (this.closed) return;
    if (!this.socket.isConnected()) {
      this.set("reconnecting");
      this.socket.disconnect();
      this.socket.connect();
    }
  }

  /**
   * A socket the server keeps refusing while its HTTP side answers means our token is no
   * longer good (expired, or the server's key changed): sign out rather than retry forever.
   */
  private async checkAuth(): Promise<void> {
    if (this.checkingAuth) return;
    this.checkingAuth = true;
    try {
      if (isExpired(this.token)) return this.onUnauthorized();
      const response = await fetch("/healthz", { cache: "no-store" }).catch(() => null);
      if (response?.ok && !this.socket.isConnected() && this.failuresSinceOpen >= 3 && !this.closed) {
        this.onUnauthorized();
      }
    } finally {
      this.checkingAuth = false;
    }
  }
}
