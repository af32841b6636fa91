/** The Studio: routes, the runtime (same origin, cookie sessions) and the live connection. */
import { lazy, Suspense, useEffect } from "react";
import { createBrowserRouter, Link, Navigate, RouterProvider } from "react-router";
import { Loading } from "../components/ui";
import { LiveProvider } from "../live/LiveProvider";
import { NewProjectPage } from "../pages/NewProject";
import { ProjectsPage } from "../pages/Projects";
import { RegisterPage } from "../pages/Register";
import { SignInPage } from "../pages/SignIn";
import { RuntimeProvider } from "./context";
import type { Runtime } from "./runtime";
import { RequireAdmin, RequireAuth, StudioShell } from "./Shell";

const ProjectPage = lazy(() => import("../pages/project/ProjectPage").then((m) => ({ default: m.ProjectPage })));
const AdminSection = lazy(() => import("./AdminSection"));

function NotFound() {
  return (
    <div className="page">
      <h1>Page not found</h1>
      <p>
        There is nothing here. <Link to="/projects">Go to your projects</Link>.
      </p>
    </div>
  );
}

function lazyPage(node: React.ReactNode) {
  return <Suspense fallback={<Loading />}>{node}</Suspense>;
}

const router = createBrowserRouter([
  { path: "/sign-in", element: <SignInPage /> },
  { path: "/register", element: <RegisterPage /> },
  {
    path: "/",
    element: (
      <RequireAuth>
        <StudioShell />
      </RequireAuth>
    ),
    children: [
      { index: true, element: <Navigate to="/projects" replace /> },
      { path: "projects", element: <ProjectsPage /> },
      { path: "projects/new", element: <NewProjectPage /> },
      { path: "projects/:projectId", element: lazyPage(<ProjectPage />) },
      {
        path: "admin/*",
        element: <RequireAdmin>{lazyPage(<AdminSection />)}</RequireAdmin>,
      },
      { path: "*", element: <NotFound /> },
    ],
  },
]);

export function StudioApp({ runtime }: { runtime: Runtime }) {
  useEffect(() => {
    void runtime.auth.restore();
  }, [runtime]);
  return (
    <RuntimeProvider runtime={runtime}>
      <LiveProvider>
        <RouterProvider router={router} />
      </LiveProvider>
    </RuntimeProvider>
  );
}
