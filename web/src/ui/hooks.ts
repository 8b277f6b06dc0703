// The glue between the app's models (plain classes that announce changes through an Emitter)
// and Preact components.
import { Component, h, type ComponentChild, type FunctionComponent } from "preact";
import { useLayoutEffect, useReducer, useRef } from "preact/hooks";
import type { Emitter } from "../emitter";

/** Re-renders the component whenever `emitter` fires; `listener` sees each value first. */
export function useEmitter<T>(emitter: Emitter<T> | null | undefined, listener?: (value: T) => void): void {
  const [, bump] = useReducer((n: number) => n + 1, 0);
  const latest = useRef(listener);
  latest.current = listener;
  // A layout effect subscribes before the browser paints, so no change between the render and
  // the subscription is missed.
  useLayoutEffect(() => {
    if (!emitter) return undefined;
    const unsubscribe = emitter.subscribe((value) => {
      latest.current?.(value);
      bump(0);
    });
    return () => void unsubscribe();
  }, [emitter]);
}

function shallowEqual(a: object, b: object): boolean {
  const keysA = Object.keys(a);
  if (keysA.length !== Object.keys(b).length) return false;
  return keysA.every((key) => (a as Record<string, unknown>)[key] === (b as Record<string, unknown>)[key]);
}

/**
 * A component that re-renders only when a prop changes (by identity): long lists of messages
 * stay cheap when one row changes. Props that are callbacks must be stable.
 */
export function memo<P extends object>(render: FunctionComponent<P>): FunctionComponent<P> {
  class Memo extends Component<P> {
    override shouldComponentUpdate(next: P): boolean {
      return !shallowEqual(this.props, next);
    }
    override render(): ComponentChild {
      return h(render, this.props);
    }
  }
  return Memo as unknown as FunctionComponent<P>;
}
