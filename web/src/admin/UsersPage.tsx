/** Users (CONTRACT §3.7): search, tier, role, disable/enable, revoke sessions. */
import { useEffect, useState } from "react";
import { usePatchUser, useRevokeSessions, useUsersPage } from "../api/hooks";
import { TIERS, ROLES, type AdminUserPatch, type User } from "../api/types";
import { useAuthState } from "../app/context";
import { useTitle } from "../app/focus";
import { Badge, Button, ConfirmDialog, Loading, Notice, Pager, ProblemAlert, formatTime, usePager } from "../components/ui";

function useDebounced<T>(value: T, ms: number): T {
  const [debounced, setDebounced] = useState(value);
  useEffect(() => {
    const handle = setTimeout(() => setDebounced(value), ms);
    return () => clearTimeout(handle);
  }, [value, ms]);
  return debounced;
}

export function UsersPage() {
  useTitle("Users");
  const [search, setSearch] = useState("");
  const q = useDebounced(search, 300);
  const pager = usePager(q);
  const page = useUsersPage(q, pager.cursor);
  const patch = usePatchUser();
  const revoke = useRevokeSessions();
  const { user: me } = useAuthState();
  const [confirm, setConfirm] = useState<{ user: User; action: "disable" | "revoke" } | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const items = page.data?.items ?? [];

  async function change(user: User, body: AdminUserPatch, what: string) {
    setNotice(null);
    try {
      await patch.patch(user, body);
      setNotice(`${user.email}: ${what}.`);
    } catch {
      // shown below
    }
  }

  async function confirmed() {
    if (!confirm) return;
    const { user, action } = confirm;
    setNotice(null);
    try {
      if (action === "disable") {
        await patch.patch(user, { disabled: true });
        setNotice(`${user.email} is disabled; their sessions are revoked.`);
      } else {
        await revoke.mutateAsync(user.id);
        setNotice(`${user.email}: all sessions revoked. They must sign in again.`);
      }
      setConfirm(null);
    } catch {
      // shown in the dialog
    }
  }

  return (
    <div className="page">
      <div className="page-head">
        <div>
          <h1>Users</h1>
          <p className="muted">Accounts on this server. Tier changes apply at the user's next request.</p>
        </div>
      </div>
      <div className="toolbar">
        <label className="search">
          <span className="sr-only">Search users</span>
          <input
            type="search"
            placeholder="Search by email or name"
            value={search}
            onChange={(e) => setSearch(e.target.value)}
            aria-label="Search users"
          />
        </label>
      </div>
      {notice && <Notice tone="success">{notice}</Notice>}
      <ProblemAlert error={patch.error} />
      {page.isPending && <Loading label="Loading users…" />}
      {page.isError && !page.data && <ProblemAlert error={page.error} />}
      {page.data && items.length === 0 && <p className="muted">{q ? `No user matches “${q}”.` : "No users."}</p>}
      {items.length > 0 && (
        <div className="table-wrap">
          <table className="table">
            <caption className="sr-only">Users</caption>
            <thead>
              <tr>
                <th scope="col">User</th>
                <th scope="col">Tier</th>
                <th scope="col">Role</th>
                <th scope="col">Status</th>
                <th scope="col">Created</th>
                <th scope="col">
                  <span className="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {items.map((u) => {
                const self = u.id === me?.id;
                return (
                  <tr key={u.id} className={u.disabled ? "row-muted" : undefined}>
                    <td>
                      <div className="strong">{u.display_name || "—"}</div>
                      <div className="muted small">{u.email}</div>
                    </td>
                    <td>
                      <select
                        aria-label={`Tier of ${u.email}`}
                        value={u.tier}
                        onChange={(e) => change(u, { tier: e.target.value as User["tier"] }, `tier set to ${e.target.value}`)}
                        disabled={patch.isPending}
                      >
                        {TIERS.map((t) => (
                          <option key={t} value={t}>
                            {t}
                          </option>
                        ))}
                      </select>
                    </td>
                    <td>
                      <select
                        aria-label={`Role of ${u.email}`}
                        value={u.role}
                        onChange={(e) => change(u, { role: e.target.value as User["role"] }, `role set to ${e.target.value}`)}
                        disabled={patch.isPending || self}
                        title={self ? "You cannot change your own role" : undefined}
                      >
                        {ROLES.map((r) => (
                          <option key={r} value={r}>
                            {r}
                          </option>
                        ))}
                      </select>
                    </td>
                    <td>{u.disabled ? <Badge tone="bad">Disabled</Badge> : <Badge tone="ok">Active</Badge>}</td>
                    <td className="small">{formatTime(u.created_at)}</td>
                    <td>
                      <div className="row-actions">
                      {u.disabled ? (
                        <Button onClick={() => change(u, { disabled: false }, "enabled")} aria-label={`Enable ${u.email}`}>
                          Enable
                        </Button>
                      ) : (
                        <Button
                          variant="danger"
                          onClick={() => setConfirm({ user: u, action: "disable" })}
                          disabled={self}
                          aria-label={`Disable ${u.email}`}
                        >
                          Disable
                        </Button>
                      )}
                      <Button onClick={() => setConfirm({ user: u, action: "revoke" })} aria-label={`Revoke sessions of ${u.email}`}>
                        Revoke sessions
                      </Button>
                      </div>
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
      <Pager pager={pager} nextCursor={page.data?.next_cursor} label="Users pages" />
      <ConfirmDialog
        open={confirm !== null}
        title={confirm?.action === "disable" ? `Disable ${confirm.user.email}?` : `Revoke all sessions of ${confirm?.user.email ?? ""}?`}
        confirmLabel={confirm?.action === "disable" ? "Disable user" : "Revoke sessions"}
        busy={patch.isPending || revoke.isPending}
        onCancel={() => {
          revoke.reset();
          setConfirm(null);
        }}
        onConfirm={confirmed}
      >
        <p>
          {confirm?.action === "disable"
            ? "They are signed out everywhere at once and cannot sign in until enabled again."
            : "They are signed out on every device and must sign in again. The account stays active."}
        </p>
        <ProblemAlert error={confirm?.action === "revoke" ? revoke.error : patch.error} />
      </ConfirmDialog>
    </div>
  );
}
