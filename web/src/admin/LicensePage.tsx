/** The licence (CONTRACT §8.3): its state, and installing a licence file. */
import { useRef, useState, type FormEvent } from "react";
import { useInstallLicense, useLicense } from "../api/hooks";
import { useTitle } from "../app/focus";
import { Badge, Button, FieldShell, Loading, Notice, ProblemAlert, formatTime } from "../components/ui";

const TONES: Record<string, "ok" | "warn" | "bad"> = { valid: "ok", grace: "warn" };

export function LicensePage() {
  useTitle("Licence");
  const license = useLicense(true);
  const install = useInstallLicense();
  const fileRef = useRef<HTMLInputElement>(null);
  const [fileName, setFileName] = useState<string | null>(null);
  const [done, setDone] = useState(false);
  const l = license.data;

  async function submit(event: FormEvent) {
    event.preventDefault();
    setDone(false);
    const file = fileRef.current?.files?.[0];
    if (!file) return;
    try {
      await install.mutateAsync(await file.text());
      setDone(true);
      if (fileRef.current) fileRef.current.value = "";
      setFileName(null);
    } catch {
      // shown below
    }
  }

  return (
    <div className="page page-narrow">
      <h1>Licence</h1>
      {license.isPending && <Loading label="Loading licence…" />}
      {license.isError && <ProblemAlert error={license.error} />}
      {l && (
        <section className="card" aria-labelledby="license-status">
          <h2 id="license-status">
            Status <Badge tone={TONES[l.status] ?? "bad"}>{l.status}</Badge>
          </h2>
          {l.status === "missing" ? (
            <p className="muted">No licence is installed. Install the licence file you received from PacAI below.</p>
          ) : (
            <dl className="kv">
              <dt>Licensee</dt>
              <dd>{l.licensee ?? "—"}</dd>
              <dt>Edition</dt>
              <dd>{l.edition ?? "—"}</dd>
              <dt>Seats</dt>
              <dd>
                {l.seats_used} used of {l.seats ?? "unlimited"}
              </dd>
              <dt>Features</dt>
              <dd>{l.features.length ? l.features.join(", ") : "—"}</dd>
              <dt>Expires</dt>
              <dd>{formatTime(l.expires_at)}</dd>
              <dt>Grace until</dt>
              <dd>{formatTime(l.grace_until)}</dd>
              <dt>Hardware bound</dt>
              <dd>{l.hardware_bound ? "Yes" : "No"}</dd>
              <dt>Licence id</dt>
              <dd className="mono">{l.license_id ?? "—"}</dd>
              <dt>Signing key</dt>
              <dd className="mono">{l.key_id ?? "—"}</dd>
            </dl>
          )}
        </section>
      )}
      <form className="card stack" onSubmit={submit} noValidate>
        <h2>Install a licence</h2>
        <FieldShell label="Licence file" hint="The .json licence document. It is verified before it replaces the current one.">
          {({ id, describedBy }) => (
            <input
              id={id}
              ref={fileRef}
              type="file"
              accept=".json,.lic,application/json"
              aria-describedby={describedBy}
              onChange={(e) => setFileName(e.target.files?.[0]?.name ?? null)}
            />
          )}
        </FieldShell>
        <ProblemAlert error={install.error} />
        {done && <Notice tone="success">Licence installed. Every server instance applies it within seconds.</Notice>}
        <div className="form-actions">
          <Button type="submit" variant="primary" busy={install.isPending} disabled={!fileName}>
            Install licence
          </Button>
        </div>
      </form>
    </div>
  );
}
