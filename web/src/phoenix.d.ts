// The part of the official `phoenix` client (1.8) that this app uses. The package ships no
// type declarations of its own.
declare module "phoenix" {
  export type PushStatus = "ok" | "error" | "timeout";

  export class Push {
    receive(status: PushStatus, callback: (response: any) => void): Push;
  }

  export interface SocketOptions {
    params?: object | (() => object);
    authToken?: string | (() => string);
    timeout?: number;
    heartbeatIntervalMs?: number;
    reconnectAfterMs?: (tries: number) => number;
    rejoinAfterMs?: (tries: number) => number;
    logger?: (kind: string, message: string, data: unknown) => void;
  }

  export class Socket {
    constructor(endPoint: string, options?: SocketOptions);
    connect(): void;
    disconnect(callback?: () => void, code?: number, reason?: string): void;
    isConnected(): boolean;
    channel(topic: string, params?: object | (() => object)): Channel;
    onOpen(callback: () => void): string;
    onClose(callback: (event: CloseEvent) => void): string;
    onError(callback: (error: unknown) => void): string;
    off(refs: string[]): void;
  }

  export class Channel {
    readonly topic: string;
    state: "closed" | "errored" | "joined" | "joining" | "leaving";
    join(timeout?: number): Push;
    leave(timeout?: number): Push;
    push(event: string, payload: object, timeout?: number): Push;
    on(event: string, callback: (payload: any) => void): number;
    off(event: string, ref?: number): void;
    onClose(callback: () => void): void;
    onError(callback: (reason: unknown) => void): number;
  }

  export interface PresenceMeta {
    phx_ref: string;
    [key: string]: unknown;
  }

  export interface PresenceEntry {
    metas: PresenceMeta[];
  }

  export class Presence {
    constructor(channel: Channel, options?: { events?: { state: string; diff: string } });
    onSync(callback: () => void): void;
    list<T = PresenceEntry>(chooser?: (key: string, presence: PresenceEntry) => T): T[];
  }
}
