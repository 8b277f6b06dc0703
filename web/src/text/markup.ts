// Message text → a small tree of blocks and inlines, which components turn into DOM nodes.
// Nothing here makes HTML: the tree holds strings, and strings only ever become text nodes or
// attribute values (an href that `new URL` accepted with an http(s) scheme).
//
// The formatting is the light kind people know from Slack:
//   *bold*  _italic_  `code`  ```fenced code blocks```  http(s) links  @mentions
// A marker opens only where a word starts and closes only where one ends, so `2*3*4`,
// snake_case_names and URLs with underscores stay as typed. Markers never span lines, and
// nothing is formatted inside code or links.

export type Inline =
  | { kind: "text"; text: string }
  | { kind: "code"; text: string }
  | { kind: "link"; href: string; text: string }
  | { kind: "mention"; name: string; text: string }
  | { kind: "strong" | "em"; children: Inline[] };

export type Block = { kind: "text"; children: Inline[] } | { kind: "pre"; text: string };

const fence = "```";
// A username (CONTRACT.md §1): letters, digits, `_`, `.`, `-`; a mention ends at anything else.
const usernameChar = /[A-Za-z0-9_.-]/;
const mentionPattern = /@([A-Za-z0-9_.-]{3,32})(?![A-Za-z0-9_.-])/y;
const urlPattern = /https?:\/\/[^\s<>"`]+/iy;
const trailingPunctuation = /[.,;:!?*_'~]+$/;

/** Parses a message into blocks: fenced code, and text with inline formatting. */
export function parseMessage(content: string): Block[] {
  const blocks: Block[] = [];
  let rest = content;
  while (rest.length) {
    const open = rest.indexOf(fence);
    const close = open < 0 ? -1 : rest.indexOf(fence, open + fence.length);
    if (open < 0 || close < 0) {
      pushText(blocks, rest);
      break;
    }
    const code = trimFence(rest.slice(open + fence.length, close));
    if (!code.trim()) {
      // ``` ``` with nothing inside is not a block: keep the backticks as typed.
      pushText(blocks, rest.slice(0, close + fence.length));
    } else {
      pushText(blocks, stripNewlineEnd(rest.slice(0, open)));
      blocks.push({ kind: "pre", text: code });
    }
    rest = rest.slice(close + fence.length);
    if (blocks.at(-1)?.kind === "pre") rest = rest.replace(/^\n/, "");
  }
  return blocks;
}

function pushText(blocks: Block[], text: string): void {
  if (!text) return;
  const last = blocks.at(-1);
  const children = parseInline(text);
  if (last?.kind === "text") last.children.push(...children);
  else blocks.push({ kind: "text", children });
}

/** Drops a language tag on the fence's own line (```ts) and the newlines right inside it. */
function trimFence(code: string): string {
  const firstLine = /^[A-Za-z0-9_+#.-]*\n/.exec(code);
  const body = firstLine ? code.slice(firstLine[0].length) : code;
  return stripNewlineEnd(body);
}

function stripNewlineEnd(text: string): string {
  return text.endsWith("\n") ? text.slice(0, -1) : text;
}

type Token =
  | { kind: "atom"; node: Inline }
  | { kind: "text"; text: string }
  | { kind: "delim"; char: "*" | "_"; canOpen: boolean; canClose: boolean }
  | { kind: "break" };

/** Inline formatting of text that holds no fenced code. */
export function parseInline(text: string): Inline[] {
  return buildTree(tokenize(text));
}

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let plain = "";
  const flush = () => {
    if (plain) tokens.push({ kind: "text", text: plain });
    plain = "";
  };
  const atom = (node: Inline) => {
    flush();
    tokens.push({ kind: "atom", node });
  };
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    const before = i > 0 ? text[i - 1]! : "";
    if (c === "`") {
      const end = text.indexOf("`", i + 1);
      const code = end < 0 ? "" : text.slice(i + 1, end);
      if (code && !code.includes("\n")) {
        atom({ kind: "code", text: code });
        i = end + 1;
        continue;
      }
    } else if ((c === "h" || c === "H") && !isWordChar(before)) {
      const link = matchUrl(text, i);
      if (link) {
        atom(link.node);
        i = link.end;
        continue;
      }
    } else if (c === "@" && !usernameChar.test(before)) {
      mentionPattern.lastIndex = i;
      const match = mentionPattern.exec(text);
      if (match) {
        atom({ kind: "mention", name: match[1]!, text: match[0] });
        i += match[0].length;
        continue;
      }
    } else if (c === "*" || c === "_") {
      const after = text[i + 1] ?? "";
      const canOpen = !isWordChar(before) && before !== c && after !== "" && !/\s/.test(after) && after !== c;
      const canClose = before !== "" && !/\s/.test(before) && before !== c && !isWordChar(after) && after !== c;
      if (canOpen || canClose) {
        flush();
        tokens.push({ kind: "delim", char: c, canOpen, canClose });
        i++;
        continue;
      }
    } else if (c === "\n") {
      flush();
      tokens.push({ kind: "break" });
      i++;
      continue;
    }
    plain += c;
    i++;
  }
  flush();
  return tokens;
}

function isWordChar(c: string): boolean {
  return c !== "" && /[\p{L}\p{N}]/u.test(c);
}

function matchUrl(text: string, start: number): { node: Inline; end: number } | null {
  urlPattern.lastIndex = start;
  const match = urlPattern.exec(text);
  if (!match) return null;
  let raw = match[0];
  // Punctuation that ends a sentence, and a closing bracket that was not opened inside the URL.
  for (;;) {
    const trimmed = raw.replace(trailingPunctuation, "");
    const last = trimmed.at(-1);
    const pair = last === ")" ? "(" : last === "]" ? "[" : null;
    const unbalanced = pair !== null && count(trimmed, pair) < count(trimmed, last!);
    const next = unbalanced ? trimmed.slice(0, -1) : trimmed;
    if (next === raw) break;
    raw = next;
  }
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return null;
  }
  if ((url.protocol !== "http:" && url.protocol !== "https:") || !url.hostname) return null;
  return { node: { kind: "link", href: url.href, text: raw }, end: start + raw.length };
}

function count(text: string, char: string): number {
  let n = 0;
  for (const c of text) if (c === char) n++;
  return n;
}

interface Frame {
  char: "*" | "_" | null;
  children: Inline[];
}

function buildTree(tokens: Token[]): Inline[] {
  const stack: Frame[] = [{ char: null, children: [] }];
  const top = () => stack[stack.length - 1]!;
  const addText = (frame: Frame, text: string) => {
    const last = frame.children.at(-1);
    if (last?.kind === "text") last.text += text;
    else frame.children.push({ kind: "text", text });
  };
  const addNode = (frame: Frame, node: Inline) => (node.kind === "text" ? addText(frame, node.text) : frame.children.push(node));
  // An opener that never closed was just a character: put it back as text, with what followed it.
  const unwind = (frame: Frame) => {
    const parent = top();
    addText(parent, frame.char!);
    for (const child of frame.children) addNode(parent, child);
  };
  const unwindAll = () => {
    while (stack.length > 1) unwind(stack.pop()!);
  };

  for (const token of tokens) {
    if (token.kind === "text") addText(top(), token.text);
    else if (token.kind === "atom") top().children.push(token.node);
    else if (token.kind === "break") {
      unwindAll();
      addText(top(), "\n");
    } else {
      const opener = token.canClose ? findOpener(stack, token.char) : -1;
      if (opener > 0 && stack[opener]!.children.length) {
        while (stack.length - 1 > opener) unwind(stack.pop()!);
        const frame = stack.pop()!;
        top().children.push({ kind: token.char === "*" ? "strong" : "em", children: frame.children });
      } else if (token.canOpen) {
        stack.push({ char: token.char, children: [] });
      } else {
        addText(top(), token.char);
      }
    }
  }
  unwindAll();
  return stack[0]!.children;
}

function findOpener(stack: Frame[], char: "*" | "_"): number {
  for (let i = stack.length - 1; i > 0; i--) if (stack[i]!.char === char) return i;
  return -1;
}

/**
 * The usernames a message mentions (lower case), by the contract's rule (CONTRACT.md §5): `@name`
 * not preceded by a character a username can hold, ending at one it cannot hold.
 */
export function mentionedNames(content: string): Set<string> {
  const names = new Set<string>();
  for (let i = content.indexOf("@"); i >= 0; i = content.indexOf("@", i + 1)) {
    if (i > 0 && usernameChar.test(content[i - 1]!)) continue;
    mentionPattern.lastIndex = i;
    const match = mentionPattern.exec(content);
    if (match) names.add(match[1]!.toLowerCase());
  }
  return names;
}
