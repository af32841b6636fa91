/** The caller's projects (CONTRACT §5.2), a page at a time. */
import { Link, useLocation, useNavigate } from "react-router";
import { useProjectsPage } from "../api/hooks";
import { seedText } from "../api/seed";
import { useTitle } from "../app/focus";
import { Badge, Button, Loading, Notice, Pager, ProblemAlert, formatTime, usePager } from "../components/ui";

export function ProjectsPage() {
  useTitle("Projects");
  const navigate = useNavigate();
  const location = useLocation();
  const pager = usePager();
  const page = useProjectsPage(pager.cursor);
  const notice = (location.state as { notice?: string } | null)?.notice;
  const items = page.data?.items ?? [];

  return (
    <div className="page">
      <div className="page-head">
        <div>
          <h1>Projects</h1>
          <p className="muted">Each project is a seed and world parameters; generate it to get a world.</p>
        </div>
        <Button variant="primary" onClick={() => navigate("/projects/new")}>
          New project
        </Button>
      </div>
      {notice && <Notice tone="success">{notice}</Notice>}
      {page.isPending && <Loading label="Loading projects…" />}
      {page.isError && !page.data && <ProblemAlert error={page.error} />}
      {page.data && items.length === 0 && pager.page === 1 && (
        <div className="empty">
          <div className="empty-art" aria-hidden="true">
            ◇
          </div>
          <h2>Start your first world</h2>
          <p>Create your first world with “New project”: pick a name, a seed and the world’s parameters.</p>
        </div>
      )}
      {items.length > 0 && (
        <div className="table-wrap">
          <table className="table">
            <caption className="sr-only">Your projects</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">World</th>
                <th scope="col">Seed</th>
                <th scope="col">Status</th>
                <th scope="col">Updated</th>
              </tr>
            </thead>
            <tbody>
              {items.map((p) => (
                <tr key={p.id}>
                  <td>
                    <Link to={`/projects/${p.id}`} className="strong-link">
                      {p.name}
                    </Link>
                  </td>
                  <td>
                    {p.params.width}×{p.params.height} · {p.params.biome}
                  </td>
                  <td className="mono">{seedText(p.seed)}</td>
                  <td>
                    {p.checksum ? <Badge tone="ok">Generated · v{p.version}</Badge> : <Badge>Not generated</Badge>}
                  </td>
                  <td>{formatTime(p.updated_at)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <Pager pager={pager} nextCursor={page.data?.next_cursor} label="Projects pages" />
    </div>
  );
}
