// What tells the user, outside the page, that something is waiting: a count in the tab's title,
// a badge on the favicon, and a desktop notification when someone mentions them.
import type { Mention } from "./unread";

const baseIcon =
  '<rect width="32" height="32" rx="8" fill="#4f46e5"/><path d="M9 10.5A2.5 2.5 0 0 1 11.5 8h9a2.5 2.5 0 0 1 2.5 2.5v7a2.5 2.5 0 0 1-2.5 2.5H15l-4.2 3.4c-.6.5-1.8.2-1.8-.8V10.5Z" fill="#fff"/>';

/**
 * The favicon as an SVG data URL (the CSP's img-src allows data:): a red badge with the number
 * of mentions, or a red dot for unread messages, or the plain icon. Only digits go into it.
 */
export function faviconUrl(unread: number, mentions: number): string {
  let badge = "";
  if (mentions > 0) {
    const text = mentions > 9 ? "9+" : String(Math.floor(mentions));
    badge =
      '<circle cx="23" cy="9" r="9" fill="#e5484d" stroke="#fff" stroke-width="1.5"/>' +
      `<text x="23" y="13" text-anchor="middle" font-family="Arial,Helvetica,sans-serif" font-size="${text.length > 1 ? 10 : 13}" font-weight="700" fill="#fff">${text}</text>`;
  } else if (unread > 0) {
    badge = '<circle cx="25" cy="7" r="6" fill="#e5484d" stroke="#fff" stroke-width="1.5"/>';
  }
  return `data:image/svg+xml,${encodeURIComponent(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32">${baseIcon}${badge}</svg>`)}`;
}

let shownIcon = "";

/** The title and the favicon for these counts. */
export function showCounts(place: string, unread: number, mentions: number): void {
  document.title = `${unread ? `(${unread}) ` : ""}${place} · Chat`;
  const url = faviconUrl(unread, mentions);
  if (url === shownIcon) return;
  shownIcon = url;
  let link = document.querySelector<HTMLLinkElement>('link[rel="icon"]');
  if (!link) {
    link = document.createElement("link");
    link.rel = "icon";
    document.head.append(link);
  }
  link.type = "image/svg+xml";
  link.href = url;
}

/** Whether the browser could show notifications if the user agreed (and has not been asked yet). */
export function canAskForNotifications(): boolean {
  return typeof Notification !== "undefined" && Notification.permission === "default";
}

/** Asks for permission to notify: only ever from a click, never on load. */
export async function askForNotifications(): Promise<boolean> {
  if (typeof Notification === "undefined") return false;
  return (await Notification.requestPermission()) === "granted";
}

/** A desktop notification for a mention; a click on it brings the tab forward, at the message. */
export function notifyMention({ message, room }: Mention, open: () => void): void {
  if (typeof Notification === "undefined" || Notification.permission !== "granted") return;
  const body = message.content.length > 180 ? `${message.content.slice(0, 179)}…` : message.content;
  const notification = new Notification(`${message.username} mentioned you in #${room.name}`, { body, tag: `mention-${message.id}`, icon: "/favicon.svg" });
  notification.onclick = () => {
    window.focus();
    open();
    notification.close();
  };
}
