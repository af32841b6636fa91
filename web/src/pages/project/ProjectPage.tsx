/**
 * One project: its settings, Generate, the world map, overrides and their history, and the
 * live channel (events feed, who else is viewing, refetch when anyone changes the world).
 */
import { lazy, Suspense, useCallback, useMemo, useState, type FormEvent } from "react";
import { Link, useNavigate, useParams } from "react-router";
import { invalidateProject, useDeleteProject, useGenerate, useProject, useRenameProject, useWorld } from "../../api/hooks";
import { fieldErrors, toProblem } from "../../api/problem";
import { seedText } from "../../api/seed";
import type { Entity, OverrideResult, Viewer } from "../../api/types";
import { useAuthState, useRuntime } from "../../app/context";
import { useTitle } from "../../app/focus";
import { RateLimitBanner, useBlocked } from "../../components/status";
import { Badge, Button, ConfirmDialog, Loading, ProblemAlert, TextField, formatTime, shortHash } from "../../components/ui";
import { describeEvent, type FeedItem } from "../../live/describe";
import { useChannel, useLiveStatus } from "../../live/LiveProvider";
import { OverrideHistory } from "./OverrideHistory";
import { OverridesPanel, type Pick } from "./OverridesPanel";

const WorldView = lazy(() => import("../../world/WorldView"));

const FEED_MAX = 50;

export function ProjectPage() {
  const { projectId = "" } = useParams();
  const navigate = useNavigate();
  const { queryClient } = useRuntime();
  const { user } = useAuthState();
  const project = useProject(projectId);
  const generated = Boolean(project.data?.checksum);
  const world = useWorld(projectId, generated);
  const generate = useGenerate(projectId);
  const blocked = useBlocked("actions");
  const [renaming, setRenaming] = useState(false);
  const [confirmDelete, setConfirmDelete] = useState(false);
  const [pick, setPick] = useState<Pick | null>(null);
  const [feed, setFeed] = useState<FeedItem[]>([]);
  const [viewers, setViewers] = useState<Viewer[] | null>(null);
  const [highlight, setHighlight] = useState<Set<string>>(new Set());
  const liveStatus = useLiveStatus();
  useTitle(project.data?.name ?? "Project");

  const names = useMemo(() => {
    const factions = world.data?.narrative.factions ?? [];
    return {
      faction: (id: string) => factions.find((f) => f.id === id)?.name,
      user: (id: string | null | undefined) => {
        if (!id) return "Someone";
        if (id === user?.id) return "You";
        const v = viewers?.find((x) => x.user_id === id);
        return v?.display_name || "Another user";
      },
    };
  }, [world.data, user, viewers]);

  const showChanges = useCallback((changes: Record<string, unknown> | undefined) => {
    const ids = [...((changes?.spawned as string[] | undefined) ?? []), ...((changes?.moved as string[] | undefined) ?? [])];
    setHighlight(new Set(ids));
  }, []);

  useChannel(
    projectId ? `project:${projectId}` : null,
    (message) => {
      if (message.type === "presence") {
        setViewers(message.viewers);
        return;
      }
      if (message.type !== "event") return;
      const item: FeedItem = {
        key: `${message.seq}-${message.event}`,
        at: Date.now(),
        seq: message.seq,
        event: message.event,
        text: describeEvent(message.event, message.data, names),
      };
      setFeed((f) => (f.some((x) => x.key === item.key) ? f : [item, ...f].slice(0, FEED_MAX)));
      if (message.event === "project.deleted") {
        navigate("/projects", { replace: true, state: { notice: `“${project.data?.name ?? "The project"}” was deleted.` } });
        return;
      }
      if (message.event === "override.applied") showChanges(message.data.changes as Record<string, unknown> | undefined);
      if (message.event === "project.generated") setHighlight(new Set());
      void invalidateProject(queryClient, projectId);
    },
    // Back after a disconnection: anything may have changed meanwhile.
    () => void invalidateProject(queryClient, projectId),
  );

  const onPick = useCallback((tile: { x: number; y: number }, entities: Entity[]) => {
    setPick((p) => ({ tile, entities, n: (p?.n ?? 0) + 1 }));
  }, []);

  if (project.isPending) return <Loading label="Loading project…" />;
  if (project.isError || !project.data) {
    return (
      <div className="page">
        <h1>Project</h1>
        <ProblemAlert error={project.error} />
        <Link to="/projects">Back to projects</Link>
      </div>
    );
  }
  const p = project.data;
  const generateProblem = generate.error ? toProblem(generate.error) : null;
  const others = (viewers ?? []).filter((v) => v.user_id !== user?.id);

  return (
    <div className="page page-wide">
      <nav aria-label="Breadcrumb" className="breadcrumb">
        <Link to="/projects">Projects</Link> <span aria-hidden="true">/</span> <span aria-current="page">{p.name}</span>
      </nav>
      <div className="page-head">
        <div className="page-title">
          {renaming ? (
            <RenameForm projectId={projectId} current={p.name} onDone={() => setRenaming(false)} />
          ) : (
            <h1>{p.name}</h1>
          )}
          <div className="meta-row">
            <span>
              Seed <span className="mono">{seedText(p.seed)}</span>
            </span>
            <span>
              {p.params.width}×{p.params.height} · {p.params.biome}
            </span>
            <span>
              density {p.params.density} · hostile {p.params.hostile_ratio} · difficulty {p.params.difficulty}
            </span>
            {p.checksum ? (
              <Badge tone="ok">
                v{p.version} · {shortHash(p.checksum, 8)}
              </Badge>
            ) : (
              <Badge>Not generated</Badge>
            )}
          </div>
        </div>
        <div className="page-actions">
          {!renaming && <Button onClick={() => setRenaming(true)}>Rename</Button>}
          <Button variant="danger" onClick={() => setConfirmDelete(true)}>
            Delete
          </Button>
          <Button
            variant="primary"
            onClick={() => {
              generate.reset();
              generate.generate().then(() => setHighlight(new Set()), () => undefined);
            }}
            busy={generate.isPending}
            disabled={blocked}
          >
            Generate
          </Button>
        </div>
      </div>

      <Presence viewers={others} known={viewers !== null} live={liveStatus === "open"} />
      {generateProblem?.status === 429 || blocked ? <RateLimitBanner /> : <ProblemAlert error={generate.error} />}

      <div className="project-grid">
        <div className="project-main">
          {!generated && (
            <div className="empty">
              <div className="empty-art" aria-hidden="true">
                ◇
              </div>
              <h2>Not generated yet</h2>
              <p>Press “Generate” to build this world from its seed and parameters.</p>
            </div>
          )}
          {generated && world.isPending && <Loading label="Loading the world…" />}
          {generated && world.isError && !world.data && <ProblemAlert error={world.error} />}
          {world.data && (
            <Suspense fallback={<Loading label="Loading the map…" />}>
              <WorldView data={world.data} onPick={onPick} highlight={highlight} />
            </Suspense>
          )}
          {world.data && <Narrative data={world.data} />}
        </div>
        <div className="project-side">
          {world.data ? (
            <OverridesPanel
              projectId={projectId}
              factions={world.data.narrative.factions}
              pick={pick}
              disabled={false}
              onApplied={(r: OverrideResult) => showChanges(r.changes)}
            />
          ) : (
            <section className="panel">
              <h2>Overrides</h2>
              <p className="muted">Generate the world first; overrides change it live.</p>
            </section>
          )}
          <section className="panel" aria-labelledby="feed-heading">
            <h2 id="feed-heading">Live events</h2>
            <div role="log" aria-live="polite" aria-relevant="additions" aria-labelledby="feed-heading">
            <ol className="feed">
              {feed.length === 0 && <li className="muted small">Changes by anyone on this project appear here as they happen.</li>}
              {feed.map((item) => (
                <li key={item.key}>
                  <time className="muted small">{new Date(item.at).toLocaleTimeString()}</time>
                  <span>{item.text}</span>
                </li>
              ))}
            </ol>
            </div>
          </section>
          {generated && <OverrideHistory projectId={projectId} names={names} />}
        </div>
      </div>

      <DeleteDialog open={confirmDelete} name={p.name} projectId={projectId} onClose={() => setConfirmDelete(false)} />
      <p className="muted small">
        Created {formatTime(p.created_at)} · updated {formatTime(p.updated_at)}
      </p>
    </div>
  );
}

function Presence({ viewers, known, live }: { viewers: Viewer[]; known: boolean; live: boolean }) {
  // No presence message (an older server, or not connected yet): say nothing rather than guess.
  if (!known || !live) return null;
  return (
    <div className="presence" aria-label="Who else is viewing">
      {viewers.length === 0 ? (
        <span className="muted small">Only you are viewing this project.</span>
      ) : (
        <>
          <span className="muted small">Also viewing:</span>
          <ul className="avatars">
            {viewers.map((v) => {
              const name = v.display_name || "Unnamed user";
              return (
                <li key={v.user_id} title={name}>
                  <span className="avatar" aria-hidden="true">
                    {name.slice(0, 1).toUpperCase()}
                  </span>
                  <span className="avatar-name">{name}</span>
                </li>
              );
            })}
          </ul>
        </>
      )}
    </div>
  );
}

function RenameForm({ projectId, current, onDone }: { projectId: string; current: string; onDone: () => void }) {
  const rename = useRenameProject(projectId);
  const [name, setName] = useState(current);
  const problem = rename.error ? toProblem(rename.error) : null;
  const { byField, other } = fieldErrors(problem, ["name"]);
  async function submit(event: FormEvent) {
    event.preventDefault();
    try {
      await rename.rename(name.trim());
      onDone();
    } catch {
      // shown below
    }
  }
  return (
    <form className="rename" onSubmit={submit} noValidate>
      <TextField label="Project name" value={name} onChange={(e) => setName(e.target.value)} error={byField.name} autoFocus maxLength={200} />
      <div className="form-actions">
        <Button onClick={onDone}>Cancel</Button>
        <Button type="submit" variant="primary" busy={rename.isPending}>
          Save name
        </Button>
      </div>
      <ProblemAlert error={rename.error} other={other} />
    </form>
  );
}

function DeleteDialog({ open, name, projectId, onClose }: { open: boolean; name: string; projectId: string; onClose: () => void }) {
  const remove = useDeleteProject(projectId);
  const navigate = useNavigate();
  return (
    <ConfirmDialog
      open={open}
      title={`Delete “${name}”?`}
      confirmLabel="Delete project"
      busy={remove.isPending}
      onCancel={() => {
        remove.reset();
        onClose();
      }}
      onConfirm={() => {
        remove.remove().then(
          () => navigate("/projects", { replace: true, state: { notice: `“${name}” was deleted.` } }),
          () => undefined,
        );
      }}
    >
      <p>The project, its generated world and its override history are deleted for everyone. This cannot be undone.</p>
      <ProblemAlert error={remove.error} />
    </ConfirmDialog>
  );
}

function Narrative({ data }: { data: NonNullable<ReturnType<typeof useWorld>["data"]> }) {
  const { narrative } = data;
  return (
    <details className="panel narrative">
      <summary>
        <h2>Story</h2>
        <span className="muted small">
          {narrative.factions.length} factions · {narrative.missions.length} missions · {narrative.timeline.length} events
        </span>
      </summary>
      <div className="narrative-grid">
        <div>
          <h3>Missions</h3>
          <ul className="plain-list">
            {narrative.missions.slice(0, 12).map((m) => (
              <li key={m.id}>
                <strong>{m.title}</strong> <span className="muted small">· {m.kind} · difficulty {m.difficulty} · reward {m.reward}</span>
              </li>
            ))}
          </ul>
        </div>
        <div>
          <h3>Timeline</h3>
          <ul className="plain-list">
            {narrative.timeline.map((t, i) => (
              <li key={i}>
                <span className="mono muted small">{t.year < 0 ? `${-t.year} years ago` : t.year === 0 ? "now" : `in ${t.year} years`}</span> {t.text}
              </li>
            ))}
          </ul>
        </div>
      </div>
    </details>
  );
}
