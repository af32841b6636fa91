/** Health (CONTRACT §2.1): each check with its latency and, when degraded, why. */
import { useHealth } from "../api/hooks";
import type { HealthCheck } from "../api/types";
import { useTitle } from "../app/focus";
import { Badge, Loading, ProblemAlert } from "../components/ui";

const TONE: Record<string, "ok" | "warn" | "bad"> = { ok: "ok", degraded: "warn", down: "bad" };

function uptime(seconds: number): string {
  const d = Math.floor(seconds / 86_400);
  const h = Math.floor((seconds % 86_400) / 3_600);
  const m = Math.floor((seconds % 3_600) / 60);
  return d ? `${d} d ${h} h` : h ? `${h} h ${m} min` : `${m} min ${Math.floor(seconds % 60)} s`;
}

function detailText(v: unknown): string {
  if (v === null || v === undefined) return "—";
  if (typeof v === "object") {
    return Array.isArray(v)
      ? v.map(detailText).join(", ")
      : Object.entries(v as Record<string, unknown>)
          .map(([k, x]) => `${k}: ${detailText(x)}`)
          .join("; ");
  }
  return String(v);
}

function details(check: HealthCheck): [string, unknown][] {
  return Object.entries(check).filter(([k]) => k !== "status" && k !== "latency_ms");
}

export function HealthPage() {
  useTitle("Health");
  const health = useHealth(10_000);
  const h = health.data;
  return (
    <div className="page">
      <div className="page-head">
        <div>
          <h1>Health</h1>
          <p className="muted">Live probes of every dependency, refreshed every 10 seconds.</p>
        </div>
      </div>
      {health.isPending && <Loading label="Checking…" />}
      {health.isError && !h && <ProblemAlert error={health.error} />}
      {h && (
        <>
          <div className="stat-row">
            <div className="stat">
              <span className="stat-label">Overall</span>
              <Badge tone={TONE[h.status] ?? "bad"}>{h.status}</Badge>
            </div>
            <div className="stat">
              <span className="stat-label">Version</span>
              <span>{h.version}</span>
            </div>
            <div className="stat">
              <span className="stat-label">Environment</span>
              <span>{h.environment}</span>
            </div>
            <div className="stat">
              <span className="stat-label">Uptime</span>
              <span>{uptime(h.uptime_seconds)}</span>
            </div>
          </div>
          <div className="table-wrap">
            <table className="table">
              <caption className="sr-only">Checks</caption>
              <thead>
                <tr>
                  <th scope="col">Check</th>
                  <th scope="col">Status</th>
                  <th scope="col">Latency</th>
                  <th scope="col">Details</th>
                </tr>
              </thead>
              <tbody>
                {Object.entries(h.checks).map(([name, check]) => (
                  <tr key={name}>
                    <th scope="row">{name}</th>
                    <td>
                      <Badge tone={TONE[check.status] ?? "bad"}>{check.status}</Badge>
                    </td>
                    <td className="mono">{typeof check.latency_ms === "number" ? `${check.latency_ms.toFixed(1)} ms` : "—"}</td>
                    <td className="small">
                      {details(check).length === 0
                        ? "—"
                        : details(check).map(([k, v]) => (
                            <div key={k}>
                              <span className="muted">{k}:</span> {detailText(v)}
                            </div>
                          ))}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          {health.isError && <ProblemAlert error={health.error} title="Latest check failed; showing the previous result" />}
        </>
      )}
    </div>
  );
}
