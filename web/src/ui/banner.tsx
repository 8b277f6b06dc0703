// The connection banner: floats over the top (it never moves the layout), says when the socket
// is down, and "Connected again" for a moment when it is back.
import { useEffect, useRef, useState } from "preact/hooks";
import type { Connection, ConnectionState } from "../connection";
import { useEmitter } from "./hooks";
import { Icon } from "./icon";

type Shown = { kind: "warn" | "ok"; text: string } | null;

export function Banner({ connection }: { connection: Connection }) {
  const [shown, setShown] = useState<Shown>(null);
  const wasDown = useRef(false);
  const timer = useRef<number | undefined>(undefined);

  const update = (state: ConnectionState) => {
    window.clearTimeout(timer.current);
    switch (state) {
      case "online":
        if (wasDown.current) {
          wasDown.current = false;
          setShown({ kind: "ok", text: "Connected again" });
          timer.current = window.setTimeout(() => setShown(null), 2000);
        } else {
          setShown(null);
        }
        break;
      case "reconnecting":
        wasDown.current = true;
        setShown({ kind: "warn", text: "Connection lost. Reconnecting…" });
        break;
      case "offline":
        wasDown.current = true;
        setShown({ kind: "warn", text: "You're offline. Reconnecting when the network is back…" });
        break;
      case "connecting":
        setShown(null);
        // Only a slow first connection is worth a word.
        timer.current = window.setTimeout(() => {
          if (connection.state === "connecting") {
            wasDown.current = true;
            setShown({ kind: "warn", text: "Connecting…" });
          }
        }, 1500);
        break;
    }
  };
  useEmitter(connection.changed, update);
  useEffect(() => {
    update(connection.state);
    return () => window.clearTimeout(timer.current);
  }, [connection]);

  return (
    <div class={shown ? `banner visible ${shown.kind}` : "banner"} role="status" aria-live="polite">
      {shown && (
        <>
          {shown.kind === "ok" ? <Icon name="check" /> : <span class="spinner small" aria-hidden="true" />}
          {shown.text}
        </>
      )}
    </div>
  );
}
