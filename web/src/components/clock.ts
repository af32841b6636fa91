/**
 * A shared wall clock for countdowns and refill estimates: one timer for the whole app,
 * running only while some component listens, read through useSyncExternalStore so render
 * stays pure.
 */
import { useSyncExternalStore } from "react";

const TICK_MS = 250;
const listeners = new Set<() => void>();
let now = Date.now();
let timer: ReturnType<typeof setInterval> | null = null;

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  now = Date.now();
  if (timer === null) {
    timer = setInterval(() => {
      now = Date.now();
      listeners.forEach((l) => l());
    }, TICK_MS);
  }
  return () => {
    listeners.delete(listener);
    if (listeners.size === 0 && timer !== null) {
      clearInterval(timer);
      timer = null;
    }
  };
}

const noop = () => () => undefined;
const snapshot = () => now;

/** The current time in ms, updated four times a second while `active`. */
export function useNow(active = true): number {
  return useSyncExternalStore(active ? subscribe : noop, snapshot);
}
