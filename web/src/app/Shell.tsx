/** The signed-in frame: header with navigation, budget, live state and account; banners; main. */
import { NavLink, Navigate, Outlet, useLocation } from "react-router";
import { useLogout } from "../api/hooks";
import { Badge, Button, Loading } from "../components/ui";
import { BudgetMeter, ConnectivityBanner, LicenseBanner, LiveIndicator, LiveLostBanner } from "../components/status";
import { useAuthState } from "./context";
import { useFocusOnNavigate } from "./focus";

export function RequireAuth({ children, signInPath = "/sign-in" }: { children: React.ReactNode; signInPath?: string }) {
  const { status } = useAuthState();
  const location = useLocation();
  if (status === "restoring") {
    return (
      <div className="center-page">
        <Loading label="Restoring your session…" />
      </div>
    );
  }
  if (status === "signed-out") return <Navigate to={signInPath} replace state={{ from: location.pathname }} />;
  return <>{children}</>;
}

export function RequireAdmin({ children }: { children: React.ReactNode }) {
  const { user } = useAuthState();
  if (user?.role !== "admin") {
    return (
      <div className="page">
        <h1>Not available</h1>
        <p>This section is for administrators.</p>
      </div>
    );
  }
  return <>{children}</>;
}

export function StudioShell() {
  const { user } = useAuthState();
  const logout = useLogout();
  useFocusOnNavigate();
  return (
    <div className="app">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <div className="brand">
          <span className="brand-mark" aria-hidden="true">
            ◆
          </span>
          PacAI Studio
        </div>
        <nav aria-label="Main" className="mainnav">
          <NavLink to="/projects">Projects</NavLink>
          {user?.role === "admin" && <NavLink to="/admin">Admin</NavLink>}
        </nav>
        <div className="topbar-right">
          <BudgetMeter />
          <LiveIndicator />
          <div className="account">
            <span className="account-name">{user?.display_name || user?.email}</span>
            {user && <Badge tone={user.tier === "free" ? "neutral" : "accent"}>{user.tier}</Badge>}
          </div>
          <Button variant="ghost" onClick={() => logout.mutate()} busy={logout.isPending}>
            Sign out
          </Button>
        </div>
      </header>
      <div className="banners">
        <ConnectivityBanner />
        <LiveLostBanner />
        <LicenseBanner />
      </div>
      <main id="main" className="main" tabIndex={-1}>
        <Outlet />
      </main>
    </div>
  );
}
