/**
 * The app's standing states: server reachability, licence, the actions budget, the live
 * connection. Each recovers by itself; these only make the state visible.
 */
import { useEffect, useRef, useState } from "react";
import { Link } from "react-router";
import { healthQuery, useHealth, useLicense } from "../api/hooks";
import { useQuery } from "@tanstack/react-query";
import { estimateRemaining } from "../api/ratelimit";
import { useAuthState, useBudgets, useConnectivity, useRuntime } from "../app/context";
import { useLiveStatus } from "../live/LiveProvider";
import type { HealthCheck } from "../api/types";
import { useNow } from "./clock";
import { Countdown, useCountdown } from "./ui";

/**
 * While the server is unreachable or answering 503, probes /v5/health with growing
 * intervals; when it answers again, every active query is refetched.
 */
export function ConnectivityBanner() {
  const state = useConnectivity();
  const runtime = useRuntime();
  const { queryClient } = runtime;
  const failures = useRef(0);
  const wasDown = useRef(false);
  const down = state !== "online";
  useQuery({
    ...healthQuery(runtime),
    enabled: down,
    retry: false,
    // 1 s, 2 s, 4 s … up to 15 s between probes while the outage lasts.
    refetchInterval: (query) => {
      failures.current = query.state.status === "error" || query.state.data?.status === "down" ? failures.current + 1 : 0;
      return Math.min(15_000, 1_000 * 2 ** Math.min(failures.current, 4));
    },
  });
  useEffect(() => {
    if (down) {
      wasDown.current = true;
    } else if (wasDown.current) {
      wasDown.current = false;
      failures.current = 0;
      void queryClient.refetchQueries({ type: "active" });
    }
  }, [down, queryClient]);

  if (!down) return null;
  return (
    <div className="banner banner-error" role="alert">
      <span className="spinner" aria-hidden="true" />
      {state === "unreachable" ? (
        <span>
          <strong>Can't reach the pacai server.</strong> Your work is safe; reconnecting automatically…
        </span>
      ) : (
        <span>
          <strong>The server is temporarily unavailable</strong> (a required service is down). Retrying automatically…
        </span>
      )}
    </div>
  );
}

function daysUntil(iso: unknown, now: number): number | null {
  if (typeof iso !== "string") return null;
  const t = Date.parse(iso);
  return Number.isNaN(t) ? null : Math.max(0, Math.ceil((t - now) / 86_400_000));
}

/**
 * The licence state from /v5/health's `license` check (`state`, `expires_at`; plus
 * `grace_until` when the server provides it). Admins also read /v5/license, which has
 * `grace_until`, for the days left in a grace period.
 */
export function LicenseBanner() {
  const { user } = useAuthState();
  const isAdmin = user?.role === "admin";
  const health = useHealth(60_000);
  const check = health.data?.checks?.license as (HealthCheck & { state?: string; grace_until?: string }) | undefined;
  const state = typeof check?.state === "string" ? check.state : undefined;
  const license = useLicense(isAdmin && state !== undefined && state !== "valid");
  const now = useNow(state === "grace");
  if (!state || state === "valid") return null;
  const adminLink = isAdmin ? (
    <Link to="/admin/license" className="banner-link">
      Manage the licence
    </Link>
  ) : (
    "Ask your administrator to install one."
  );
  if (state === "grace") {
    const days = daysUntil(check?.grace_until ?? license.data?.grace_until, now);
    return (
      <div className="banner banner-warning" role="status">
        <strong>Licence expired — grace period.</strong>{" "}
        {days === null ? "Generation keeps working for a limited time. " : `${days} day${days === 1 ? "" : "s"} left before generation stops. `}
        {isAdmin ? adminLink : "Ask your administrator to renew it."}
      </div>
    );
  }
  const text: Record<string, string> = {
    missing: "No licence is installed.",
    expired: "The licence has expired.",
    not_yet_valid: "The licence is not valid yet.",
    invalid: "The installed licence is invalid.",
    hardware_mismatch: "The licence is bound to another hardware token.",
  };
  return (
    <div className="banner banner-error" role="status">
      <strong>{text[state] ?? `Licence state: ${state}.`}</strong> Generation, overrides and exports may be refused.{" "}
      {adminLink}
    </div>
  );
}

/** "Actions 12 / 30" from the RateLimit headers, refilling between responses. */
export function BudgetMeter() {
  const { readings } = useBudgets();
  const entry = readings.actions;
  const [refilling, setRefilling] = useState(true);
  const now = useNow(Boolean(entry) && refilling);
  const full = entry ? estimateRemaining(entry.reading, entry.observedAt, now) >= (entry.reading.quota ?? 0) : true;
  // Tick only while the budget is refilling; a new reading may start it again.
  const [seen, setSeen] = useState(entry);
  if (seen !== entry) {
    setSeen(entry);
    setRefilling(true);
  } else if (refilling && full) {
    setRefilling(false);
  }
  if (!entry) {
    return (
      <div className="budget" title="Your actions budget appears after your first action">
        <span className="budget-label">Actions</span>
        <span className="budget-value">—</span>
      </div>
    );
  }
  const remaining = estimateRemaining(entry.reading, entry.observedAt, now);
  const quota = entry.reading.quota;
  const ratio = quota ? remaining / quota : 1;
  const tone = ratio <= 0 ? "bad" : ratio < 0.25 ? "warn" : "ok";
  const windowText = entry.reading.windowSeconds ? ` per ${entry.reading.windowSeconds} s` : "";
  return (
    <div
      className={`budget budget-${tone}`}
      role="meter"
      aria-label="Actions budget remaining"
      aria-valuemin={0}
      aria-valuemax={quota ?? remaining}
      aria-valuenow={remaining}
      aria-valuetext={`${remaining}${quota !== undefined ? ` of ${quota}` : ""} actions left${windowText}`}
      title={`Generate, overrides and project creation spend actions${quota !== undefined ? ` (${quota}${windowText}, refilled continuously)` : ""}`}
    >
      <span className="budget-label">Actions</span>
      <span className="budget-value">
        {remaining}
        {quota !== undefined && <span className="budget-quota"> / {quota}</span>}
      </span>
      {quota !== undefined && (
        <span className="budget-bar" aria-hidden="true">
          <span style={{ width: `${Math.round(ratio * 100)}%` }} />
        </span>
      )}
    </div>
  );
}

/** The 429 of any budget, as a countdown (not an error). */
export function RateLimitBanner({ budget = "actions" }: { budget?: string }) {
  const { blocked } = useBudgets();
  const label =
    budget === "actions"
      ? "You've used your actions budget for now."
      : budget === "requests"
        ? "You've made many requests in a short time."
        : "Rate limited.";
  return <Countdown untilMs={blocked[budget]} label={label} />;
}

const LIVE_TEXT: Record<string, string> = {
  idle: "Live updates off",
  connecting: "Connecting live updates…",
  open: "Live",
  reconnecting: "Live updates lost — reconnecting…",
  limited: "Too many live connections for your plan — retrying",
  stopped: "Live updates off",
};

export function LiveIndicator() {
  const status = useLiveStatus();
  return (
    <span className={`live live-${status}`} role="status" aria-label={LIVE_TEXT[status]} title={LIVE_TEXT[status]}>
      <span className="live-dot" aria-hidden="true" />
      <span className="live-text" aria-hidden="true">
        {status === "open" ? "Live" : status === "connecting" ? "Connecting" : status === "idle" || status === "stopped" ? "Offline" : "Reconnecting"}
      </span>
    </span>
  );
}

export function LiveLostBanner() {
  const status = useLiveStatus();
  if (status !== "reconnecting" && status !== "limited") return null;
  return (
    <div className="banner banner-warning" role="status">
      <span className="spinner" aria-hidden="true" />
      {status === "limited" ? (
        <span>
          <strong>Live updates paused:</strong> your plan's limit of open live connections is reached (close another
          tab). Retrying…
        </span>
      ) : (
        <span>
          <strong>Live updates interrupted.</strong> Reconnecting automatically; changes made meanwhile will appear when
          it's back.
        </span>
      )}
    </div>
  );
}

/** True while a 429 on `budget` is in force; re-renders when it lifts. */
export function useBlocked(budget = "actions"): boolean {
  const { blocked } = useBudgets();
  return useCountdown(blocked[budget]) > 0;
}
