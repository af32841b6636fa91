/**
 * The admin console entry (for the Tauri desktop app, issue 18): the same admin views as
 * the Studio, against a server URL chosen at run time, with the JSON-body token flow (the
 * refresh cookie is the Studio's, same-origin only). The host may preset the URL with
 * `window.__PACAI_CONSOLE__ = { apiBase: "http://127.0.0.1:5000" }`.
 */
import { useEffect, useMemo, useState, type FormEvent } from "react";
import { createHashRouter, Navigate, Outlet, RouterProvider } from "react-router";
import { adminRoutes } from "../admin";
import { useLogout } from "../api/hooks";
import { RuntimeProvider, useAuthState } from "../app/context";
import { RequireAdmin, RequireAuth } from "../app/Shell";
import { createRuntime } from "../app/runtime";
import { bodyStrategy } from "../auth/strategies";
import { Button, Notice, TextField } from "../components/ui";
import { ConnectivityBanner } from "../components/status";
import { SignInPage } from "../pages/SignIn";

declare global {
  interface Window {
    __PACAI_CONSOLE__?: { apiBase?: string };
  }
}

const STORAGE_KEY = "pacai.console.server";

export function validServerUrl(input: string): string | null {
  try {
    const url = new URL(input.trim());
    if (url.protocol !== "http:" && url.protocol !== "https:") return null;
    return url.origin;
  } catch {
    return null;
  }
}

function ConsoleShell({ server, onChangeServer }: { server: string; onChangeServer: () => void }) {
  const { user } = useAuthState();
  const logout = useLogout();
  return (
    <div className="app">
      <header className="topbar">
        <div className="brand">
          <span className="brand-mark" aria-hidden="true">
            ◆
          </span>
          PacAI Admin Console
        </div>
        <span className="muted small mono">{server}</span>
        <div className="topbar-right">
          <span className="account-name">{user?.email}</span>
          <Button variant="ghost" onClick={onChangeServer}>
            Change server
          </Button>
          <Button variant="ghost" onClick={() => logout.mutate()}>
            Sign out
          </Button>
        </div>
      </header>
      <div className="banners">
        <ConnectivityBanner />
      </div>
      <main id="main" className="main" tabIndex={-1}>
        <RequireAdmin>
          <Outlet />
        </RequireAdmin>
      </main>
    </div>
  );
}

function Connected({ server, onChangeServer }: { server: string; onChangeServer: () => void }) {
  const runtime = useMemo(() => createRuntime({ baseUrl: server, strategy: bodyStrategy() }), [server]);
  const router = useMemo(
    () =>
      createHashRouter([
        { path: "/sign-in", element: <SignInPage registerPath={null} home="/users" /> },
        {
          path: "/",
          element: (
            <RequireAuth>
              <ConsoleShell server={server} onChangeServer={onChangeServer} />
            </RequireAuth>
          ),
          children: [{ path: "/", children: adminRoutes("") }, { path: "*", element: <Navigate to="/users" replace /> }],
        },
      ]),
    [server, onChangeServer],
  );
  useEffect(() => {
    void runtime.auth.restore();
  }, [runtime]);
  return (
    <RuntimeProvider runtime={runtime}>
      <RouterProvider router={router} />
    </RuntimeProvider>
  );
}

export function ConsoleApp() {
  const preset = window.__PACAI_CONSOLE__?.apiBase ?? localStorage.getItem(STORAGE_KEY);
  const [server, setServer] = useState<string | null>(preset ? validServerUrl(preset) : null);
  const [input, setInput] = useState(preset ?? "http://127.0.0.1:5000");
  const [error, setError] = useState<string | undefined>();
  const change = useMemo(() => () => setServer(null), []);

  function submit(event: FormEvent) {
    event.preventDefault();
    const url = validServerUrl(input);
    if (!url) {
      setError("Enter the server's address, e.g. https://pacai.example.com or http://127.0.0.1:5000.");
      return;
    }
    localStorage.setItem(STORAGE_KEY, url);
    setServer(url);
  }

  if (server) return <Connected key={server} server={server} onChangeServer={change} />;
  return (
    <main className="auth-page">
      <form className="auth-card stack" onSubmit={submit} noValidate>
        <h1>Connect to a pacai server</h1>
        <Notice>The console administers one pacai installation. Its address is remembered on this machine.</Notice>
        <TextField label="Server URL" type="url" value={input} onChange={(e) => setInput(e.target.value)} error={error} />
        <Button type="submit" variant="primary" className="btn-block">
          Connect
        </Button>
      </form>
    </main>
  );
}
