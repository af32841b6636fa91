/** The admin section's frame: its own sub-navigation and an outlet for the admin pages. */
import { NavLink, Outlet } from "react-router";

export function AdminLayout({ base = "/admin" }: { base?: string }) {
  const to = (p: string) => `${base.replace(/\/$/, "")}/${p}`;
  return (
    <div className="admin">
      <nav aria-label="Admin" className="subnav">
        <NavLink to={to("users")}>Users</NavLink>
        <NavLink to={to("audit")}>Audit log</NavLink>
        <NavLink to={to("license")}>Licence</NavLink>
        <NavLink to={to("health")}>Health</NavLink>
      </nav>
      <Outlet />
    </div>
  );
}
