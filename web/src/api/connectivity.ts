/**
 * Whether the server answers: `online`, `unreachable` (no HTTP answer at all) or
 * `unavailable` (503: a required dependency is down). The transport reports every
 * outcome; the app shows a banner while it is not online and probes until it is.
 */
export type Connectivity = "online" | "unreachable" | "unavailable";

export class ConnectivityStore {
  private state: Connectivity = "online";
  private listeners = new Set<() => void>();

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  getSnapshot = (): Connectivity => this.state;

  report(next: Connectivity): void {
    if (next === this.state) return;
    this.state = next;
    this.listeners.forEach((l) => l());
  }
}
