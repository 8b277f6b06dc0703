// Building DOM without HTML strings: every string becomes a text node or an attribute value,
// so content from users can never become markup. (The CSP's Trusted Types rule would refuse
// innerHTML anyway.)

type Child = Node | string | number | null | undefined | false;
type Children = Child | Child[];
type AttrValue = string | number | boolean | null | undefined;
type Attrs = Record<string, AttrValue | ((event: any) => void)>;

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs?: Attrs | null,
  ...children: Children[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  if (attrs) setAttrs(element, attrs);
  append(element, children);
  return element;
}

export function setAttrs(element: Element, attrs: Attrs): void {
  for (const [name, value] of Object.entries(attrs)) {
    if (typeof value === "function") {
      element.addEventListener(name.slice(2).toLowerCase(), value);
    } else if (value === null || value === undefined || value === false) {
      element.removeAttribute(name);
    } else if (name === "class") {
      element.setAttribute("class", String(value));
    } else {
      element.setAttribute(name, value === true ? "" : String(value));
    }
  }
}

export function append(parent: Node, children: Children[]): void {
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    parent.appendChild(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

export function replaceChildren(parent: Element, ...children: Children[]): void {
  parent.replaceChildren();
  append(parent, children);
}

const svgNs = "http://www.w3.org/2000/svg";
const icons: Record<string, string[]> = {
  send: ["M3.4 20.4 21 12 3.4 3.6l.1 6.5L16 12 3.5 13.9z"],
  plus: ["M12 5v14", "M5 12h14"],
  back: ["M15 18l-6-6 6-6"],
  hash: ["M5 9h14", "M4 15h14", "M10 3 8 21", "M16 3l-2 18"],
  users: ["M16 21v-2a4 4 0 0 0-4-4H6a4 4 0 0 0-4 4v2", "M9 11a4 4 0 1 0 0-8 4 4 0 0 0 0 8z", "M22 21v-2a4 4 0 0 0-3-3.9", "M16 3.1a4 4 0 0 1 0 7.8"],
  logout: ["M9 21H5a2 2 0 0 1-2-2V5a2 2 0 0 1 2-2h4", "M16 17l5-5-5-5", "M21 12H9"],
  down: ["M12 5v14", "M19 12l-7 7-7-7"],
  alert: ["M12 9v4", "M12 17h.01", "M10.3 3.9 1.8 18a2 2 0 0 0 1.7 3h17a2 2 0 0 0 1.7-3L13.7 3.9a2 2 0 0 0-3.4 0z"],
  wifiOff: ["M2 2l20 20", "M8.5 16.4a5 5 0 0 1 7 0", "M5 12.9a10 10 0 0 1 5.2-2.8", "M19 12.9a10 10 0 0 0-2.3-1.7", "M1.4 9a16 16 0 0 1 4.7-2.9", "M10.7 5.1A16 16 0 0 1 22.6 9", "M12 20h.01"],
  close: ["M18 6 6 18", "M6 6l12 12"],
  check: ["M20 6 9 17l-5-5"],
};

/** A decorative stroke icon (aria-hidden); the control that holds it carries the label. */
export function icon(name: keyof typeof icons & string, className = "icon"): SVGSVGElement {
  const svg = document.createElementNS(svgNs, "svg");
  svg.setAttribute("viewBox", "0 0 24 24");
  svg.setAttribute("class", className);
  svg.setAttribute("aria-hidden", "true");
  svg.setAttribute("focusable", "false");
  for (const d of icons[name] ?? []) {
    const path = document.createElementNS(svgNs, "path");
    path.setAttribute("d", d);
    svg.appendChild(path);
  }
  return svg;
}
