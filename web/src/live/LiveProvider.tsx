/**
 * One live WebSocket per signed-in tab, shared by every page; `useChannel` subscribes a
 * component to a channel for as long as it is mounted.
 */
import { createContext, useContext, useEffect, useRef, useState, useSyncExternalStore, type ReactNode } from "react";
import { useAuthState, useRuntime } from "../app/context";
import { liveUrl, LiveSocket, type ChannelMessage, type LiveStatus } from "./socket";

const LiveContext = createContext<LiveSocket | null>(null);

export function LiveProvider({ children }: { children: ReactNode }) {
  const { auth, baseUrl } = useRuntime();
  const { status } = useAuthState();
  const [socket] = useState(
    () =>
      new LiveSocket({
        url: liveUrl(baseUrl, window.location),
        getToken: () => auth.validToken(),
        // The server closed with 4401 (token expired or session revoked): one refresh decides.
        onUnauthorized: async () => {
          try {
            return (await auth.refresh()) !== null;
          } catch {
            return true; // offline: keep trying with backoff
          }
        },
      }),
  );

  useEffect(() => {
    if (status === "signed-in") socket.start();
    else if (status === "signed-out") socket.stop();
  }, [status, socket]);

  useEffect(() => auth.onToken((token) => socket.reauthenticate(token)), [auth, socket]);

  useEffect(() => {
    const online = () => socket.nudge();
    const visible = () => {
      if (document.visibilityState === "visible") {
        auth.wake();
        socket.nudge();
      }
    };
    window.addEventListener("online", online);
    document.addEventListener("visibilitychange", visible);
    return () => {
      window.removeEventListener("online", online);
      document.removeEventListener("visibilitychange", visible);
      socket.stop();
    };
  }, [socket, auth]);

  return <LiveContext.Provider value={socket}>{children}</LiveContext.Provider>;
}

export function useLiveSocket(): LiveSocket | null {
  return useContext(LiveContext);
}

export function useLiveStatus(): LiveStatus {
  const socket = useLiveSocket();
  return useSyncExternalStore(
    (l) => (socket ? socket.onStatus(l) : () => undefined),
    () => (socket ? socket.getStatus() : "idle"),
  );
}

/**
 * Subscribes to `channel` while mounted. `onMessage` gets the channel's messages;
 * `onResubscribed` runs after a reconnect (events may have been missed: refetch).
 */
export function useChannel(
  channel: string | null,
  onMessage: (message: ChannelMessage) => void,
  onResubscribed?: () => void,
): void {
  const socket = useLiveSocket();
  const handlers = useRef({ onMessage, onResubscribed });
  useEffect(() => {
    handlers.current = { onMessage, onResubscribed };
  });
  useEffect(() => {
    if (!socket || !channel) return;
    const off = socket.subscribe(channel, (m) => handlers.current.onMessage(m));
    const offResub = socket.onResubscribed((c) => {
      if (c === channel) handlers.current.onResubscribed?.();
    });
    return () => {
      off();
      offResub();
    };
  }, [socket, channel]);
}
