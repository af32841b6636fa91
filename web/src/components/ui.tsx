/** Small building blocks shared by every page: fields, alerts, pager, dialogs, badges. */
import {
  useEffect,
  useId,
  useRef,
  useState,
  type ButtonHTMLAttributes,
  type InputHTMLAttributes,
  type ReactNode,
  type SelectHTMLAttributes,
} from "react";
import { problemMessage, toProblem, type FieldError, type Problem } from "../api/problem";
import { secondsLeft } from "../api/ratelimit";
import { useConnectivity } from "../app/context";
import { useNow } from "./clock";

export function Button({
  variant = "secondary",
  busy = false,
  children,
  className,
  ...rest
}: ButtonHTMLAttributes<HTMLButtonElement> & { variant?: "primary" | "secondary" | "danger" | "ghost"; busy?: boolean }) {
  return (
    <button
      type="button"
      {...rest}
      className={`btn btn-${variant}${className ? ` ${className}` : ""}`}
      aria-busy={busy || undefined}
      disabled={rest.disabled || busy}
    >
      {busy && <span className="spinner" aria-hidden="true" />}
      {children}
    </button>
  );
}

interface FieldShellProps {
  label: string;
  error?: string | undefined;
  hint?: ReactNode;
  children: (ids: { id: string; describedBy: string | undefined; invalid: boolean }) => ReactNode;
  className?: string;
}

/** A label, the control, a hint and the field's error (from the API's problem document). */
export function FieldShell({ label, error, hint, children, className }: FieldShellProps) {
  const id = useId();
  const hintId = `${id}-hint`;
  const errorId = `${id}-error`;
  const describedBy = [hint ? hintId : null, error ? errorId : null].filter(Boolean).join(" ") || undefined;
  return (
    <div className={`field${error ? " field-invalid" : ""}${className ? ` ${className}` : ""}`}>
      <label htmlFor={id}>{label}</label>
      {children({ id, describedBy, invalid: Boolean(error) })}
      {hint && (
        <div className="field-hint" id={hintId}>
          {hint}
        </div>
      )}
      {error && (
        <div className="field-error" id={errorId}>
          {error}
        </div>
      )}
    </div>
  );
}

export function TextField({
  label,
  error,
  hint,
  className,
  ...input
}: InputHTMLAttributes<HTMLInputElement> & { label: string; error?: string | undefined; hint?: ReactNode }) {
  return (
    <FieldShell label={label} error={error} hint={hint} className={className}>
      {({ id, describedBy, invalid }) => (
        <input id={id} aria-describedby={describedBy} aria-invalid={invalid || undefined} {...input} />
      )}
    </FieldShell>
  );
}

export function SelectField({
  label,
  error,
  hint,
  options,
  className,
  ...select
}: SelectHTMLAttributes<HTMLSelectElement> & {
  label: string;
  error?: string | undefined;
  hint?: ReactNode;
  options: readonly (string | { value: string; label: string })[];
}) {
  return (
    <FieldShell label={label} error={error} hint={hint} className={className}>
      {({ id, describedBy, invalid }) => (
        <select id={id} aria-describedby={describedBy} aria-invalid={invalid || undefined} {...select}>
          {options.map((o) => {
            const { value, label: text } = typeof o === "string" ? { value: o, label: o } : o;
            return (
              <option key={value} value={value}>
                {text}
              </option>
            );
          })}
        </select>
      )}
    </FieldShell>
  );
}

/** A problem as a message: `detail`, plus any field errors that have no field on the form. */
export function ProblemAlert({
  error,
  other,
  title,
}: {
  error: unknown;
  other?: FieldError[];
  title?: string;
}) {
  const connectivity = useConnectivity();
  if (!error) return null;
  const problem: Problem = toProblem(error);
  const extra = other ?? [];
  // A request that failed during an outage: once the server answers again, say so.
  const allBesideFields = other !== undefined && problem.errors.length > 0 && extra.length === 0;
  const message =
    problem.kind === "network" && connectivity === "online"
      ? "That didn't reach the server, but the connection is back now. Please try again."
      : allBesideFields
        ? `Please check the highlighted field${problem.errors.length === 1 ? "" : "s"}.`
        : problemMessage(problem);
  return (
    <div className="alert alert-error" role="alert">
      {title && <strong className="alert-title">{title}</strong>}
      <p>{message}</p>
      {extra.length > 0 && (
        <ul>
          {extra.map((e, i) => (
            <li key={`${e.field}-${i}`}>
              {e.field ? <code>{e.field}</code> : null} {e.message}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

export function Notice({ tone = "info", children, title }: { tone?: "info" | "success" | "warning" | "error"; title?: string; children: ReactNode }) {
  return (
    <div className={`alert alert-${tone}`} role={tone === "error" ? "alert" : "status"}>
      {title && <strong className="alert-title">{title}</strong>}
      <div>{children}</div>
    </div>
  );
}

/** Seconds left until `untilMs` (0 when past or undefined), re-rendering as they pass. */
export function useCountdown(untilMs: number | undefined): number {
  const [active, setActive] = useState(true);
  const now = useNow(active && untilMs !== undefined);
  const left = untilMs === undefined ? 0 : secondsLeft(untilMs, now);
  // Stop ticking once the wait is over; a new untilMs starts it again.
  const [seen, setSeen] = useState(untilMs);
  if (seen !== untilMs) {
    setSeen(untilMs);
    setActive(true);
  } else if (active && untilMs !== undefined && left === 0) {
    setActive(false);
  }
  return left;
}

/** "Available again in 12 s", counting down; renders nothing once the wait is over. */
export function Countdown({ untilMs, label }: { untilMs: number | undefined; label: string }) {
  const left = useCountdown(untilMs);
  if (!untilMs || left <= 0) return null;
  return (
    <div className="alert alert-wait" role="status">
      <svg className="wait-icon" viewBox="0 0 20 20" width="18" height="18" aria-hidden="true">
        <circle cx="10" cy="10" r="8" fill="none" stroke="currentColor" strokeWidth="1.8" />
        <path d="M10 5.5V10l3 2" fill="none" stroke="currentColor" strokeWidth="1.8" strokeLinecap="round" />
      </svg>
      <span>
        {label} Available again in{" "}
        <strong role="timer" aria-atomic="true">
          {left} s
        </strong>
        .
      </span>
    </div>
  );
}

/**
 * Previous/next over cursor pages (CONTRACT §1.6): a stack of the cursors already visited.
 * A new `resetKey` (a search or filter) starts again at the first page.
 */
export function usePager(resetKey = "") {
  const [state, setState] = useState<{ key: string; stack: (string | null)[] }>({ key: resetKey, stack: [null] });
  let stack = state.stack;
  if (state.key !== resetKey) {
    stack = [null];
    setState({ key: resetKey, stack });
  }
  return {
    cursor: stack[stack.length - 1] ?? null,
    page: stack.length,
    next: (nextCursor: string) => setState((s) => ({ ...s, stack: [...s.stack, nextCursor] })),
    previous: () => setState((s) => (s.stack.length > 1 ? { ...s, stack: s.stack.slice(0, -1) } : s)),
  };
}

export function Pager({
  pager,
  nextCursor,
  label,
}: {
  pager: ReturnType<typeof usePager>;
  nextCursor: string | null | undefined;
  label: string;
}) {
  if (pager.page === 1 && !nextCursor) return null;
  return (
    <nav className="pager" aria-label={label}>
      <Button variant="ghost" onClick={pager.previous} disabled={pager.page === 1}>
        ← Previous page
      </Button>
      <span className="pager-page">Page {pager.page}</span>
      <Button variant="ghost" onClick={() => nextCursor && pager.next(nextCursor)} disabled={!nextCursor}>
        Next page →
      </Button>
    </nav>
  );
}

/** A modal confirmation on <dialog>: focus moves in, Escape cancels, focus returns after. */
export function ConfirmDialog({
  open,
  title,
  children,
  confirmLabel,
  onConfirm,
  onCancel,
  busy,
  danger = true,
}: {
  open: boolean;
  title: string;
  children: ReactNode;
  confirmLabel: string;
  onConfirm: () => void;
  onCancel: () => void;
  busy?: boolean;
  danger?: boolean;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (open && !dialog.open) {
      const opener = document.activeElement as HTMLElement | null;
      if (typeof dialog.showModal === "function") dialog.showModal();
      else dialog.setAttribute("open", "");
      return () => opener?.focus?.();
    }
    if (!open && dialog.open) dialog.close();
  }, [open]);
  return (
    <dialog
      ref={ref}
      className="dialog"
      aria-labelledby={titleId}
      onCancel={(e) => {
        e.preventDefault();
        onCancel();
      }}
    >
      <h2 id={titleId}>{title}</h2>
      <div className="dialog-body">{children}</div>
      <div className="dialog-actions">
        <Button onClick={onCancel} autoFocus>
          Cancel
        </Button>
        <Button variant={danger ? "danger" : "primary"} onClick={onConfirm} busy={busy}>
          {confirmLabel}
        </Button>
      </div>
    </dialog>
  );
}

export function Badge({ tone = "neutral", children }: { tone?: "neutral" | "ok" | "warn" | "bad" | "accent"; children: ReactNode }) {
  return <span className={`badge badge-${tone}`}>{children}</span>;
}

export function Loading({ label = "Loading…" }: { label?: string }) {
  return (
    <div className="loading" role="status">
      <span className="spinner" aria-hidden="true" />
      {label}
    </div>
  );
}

export function formatTime(iso: string | null | undefined): string {
  if (!iso) return "—";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return "—";
  return d.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
}

export function shortHash(hash: string | null | undefined, n = 12): string {
  if (!hash) return "—";
  const [algo, hex] = hash.includes(":") ? hash.split(":", 2) : ["", hash];
  return `${algo ? `${algo}:` : ""}${(hex ?? "").slice(0, n)}…`;
}
