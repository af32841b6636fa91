/** The audit log (CONTRACT §7.3): paged, filtered by action type, with chain verification. */
import { useState } from "react";
import { useAuditPage, useAuditVerify } from "../api/hooks";
import { AUDIT_TYPES, type AuditEntry } from "../api/types";
import { useTitle } from "../app/focus";
import { Button, Loading, Notice, Pager, ProblemAlert, SelectField, formatTime, shortHash, usePager } from "../components/ui";

export function AuditPage() {
  useTitle("Audit log");
  const [type, setType] = useState("");
  const pager = usePager(type);
  const page = useAuditPage(type, pager.cursor);
  const verify = useAuditVerify();
  const items = page.data?.items ?? [];

  return (
    <div className="page">
      <div className="page-head">
        <div>
          <h1>Audit log</h1>
          <p className="muted">Append-only, hash-chained and signed. Oldest first.</p>
        </div>
        <Button variant="primary" onClick={() => void verify.refetch()} busy={verify.isFetching}>
          Verify audit log
        </Button>
      </div>

      {verify.isError && <ProblemAlert error={verify.error} title="Verification could not run" />}
      {verify.data && !verify.isFetching && (
        <Notice tone={verify.data.ok ? "success" : "error"} title={verify.data.ok ? "Chain intact" : "Tampering detected"}>
          <dl className="kv">
            <dt>Result</dt>
            <dd>{verify.data.ok ? "ok" : "failed"}</dd>
            <dt>Entries checked</dt>
            <dd>{verify.data.checked.toLocaleString()}</dd>
            <dt>Head hash</dt>
            <dd className="mono break">{verify.data.head_hash ?? "—"}</dd>
            {!verify.data.ok && (
              <>
                <dt>First bad seq</dt>
                <dd className="mono">{verify.data.first_bad_seq ?? "—"}</dd>
              </>
            )}
          </dl>
        </Notice>
      )}

      <div className="toolbar">
        <SelectField
          label="Action type"
          value={type}
          onChange={(e) => setType(e.target.value)}
          options={[{ value: "", label: "All actions" }, ...AUDIT_TYPES.map((t) => ({ value: t, label: t }))]}
          className="field-inline"
        />
      </div>

      {page.isPending && <Loading label="Loading entries…" />}
      {page.isError && !page.data && <ProblemAlert error={page.error} />}
      {page.data && items.length === 0 && <p className="muted">No entries{type ? ` of type ${type}` : ""}.</p>}
      {items.length > 0 && (
        <div className="table-wrap">
          <table className="table table-dense">
            <caption className="sr-only">Audit entries</caption>
            <thead>
              <tr>
                <th scope="col">Seq</th>
                <th scope="col">Time</th>
                <th scope="col">Action</th>
                <th scope="col">Actor</th>
                <th scope="col">Subject</th>
                <th scope="col">IP</th>
                <th scope="col">Details</th>
              </tr>
            </thead>
            <tbody>
              {items.map((e) => (
                <tr key={e.seq}>
                  <td className="mono">{e.seq}</td>
                  <td className="nowrap small">{formatTime(e.ts)}</td>
                  <td>
                    <span className="tag">{e.type}</span>
                  </td>
                  <td className="mono small">{e.actor_id ? e.actor_id.slice(0, 8) : "—"}</td>
                  <td className="small">{e.subject ?? "—"}</td>
                  <td className="mono small">{e.ip ?? "—"}</td>
                  <td>
                    <EntryDetails entry={e} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <Pager pager={pager} nextCursor={page.data?.next_cursor} label="Audit log pages" />
    </div>
  );
}

function value(v: unknown): string {
  if (v === null || v === undefined) return "—";
  if (typeof v === "string" || typeof v === "number" || typeof v === "boolean") return String(v);
  if (Array.isArray(v)) return v.map(value).join(", ");
  return Object.entries(v as Record<string, unknown>)
    .map(([k, x]) => `${k}: ${value(x)}`)
    .join("; ");
}

function EntryDetails({ entry }: { entry: AuditEntry }) {
  const data = entry.data ?? {};
  return (
    <details className="entry-details">
      <summary>Show</summary>
      <dl className="kv small">
        {Object.entries(data).map(([k, v]) => (
          <div key={k} className="kv-row">
            <dt>{k}</dt>
            <dd>{value(v)}</dd>
          </div>
        ))}
        <div className="kv-row">
          <dt>request</dt>
          <dd className="mono">{entry.request_id ?? "—"}</dd>
        </div>
        <div className="kv-row">
          <dt>hash</dt>
          <dd className="mono">{shortHash(entry.hash, 16)}</dd>
        </div>
        <div className="kv-row">
          <dt>key</dt>
          <dd className="mono">{entry.key_id}</dd>
        </div>
      </dl>
    </details>
  );
}
