/** Public surface of the admin views for another host (the desktop console). */
export { adminRoutes, AdminLayout, AuditPage, HealthPage, LicensePage, UsersPage } from "./routes";
