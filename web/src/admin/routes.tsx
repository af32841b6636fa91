/**
 * The admin views as one unit: route objects relative to wherever the host mounts them.
 * The Studio mounts them at /admin; the desktop console (issue 18) mounts them at its root
 * with its own router and a runtime using the body token strategy.
 */
import { Navigate, type RouteObject } from "react-router";
import { AdminLayout } from "./AdminLayout";
import { AuditPage } from "./AuditPage";
import { HealthPage } from "./HealthPage";
import { LicensePage } from "./LicensePage";
import { UsersPage } from "./UsersPage";

export function adminRoutes(base = "/admin"): RouteObject[] {
  return [
    {
      element: <AdminLayout base={base} />,
      children: [
        { index: true, element: <Navigate to="users" replace /> },
        { path: "users", element: <UsersPage /> },
        { path: "audit", element: <AuditPage /> },
        { path: "license", element: <LicensePage /> },
        { path: "health", element: <HealthPage /> },
      ],
    },
  ];
}

export { AdminLayout, AuditPage, HealthPage, LicensePage, UsersPage };
